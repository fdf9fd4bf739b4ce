import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { HubError } from '@hubemu/shared';
import { sendError } from './error-response.js';

export interface AppHooks {
  /** True once every listener is up. */
  ready: () => boolean;
  /** Mounts the REST service API routes. */
  mountRoutes: (app: Express) => void;
}

/** The express app of the HTTPS port: `/health`, the REST service API, and IoT Hub-shaped errors. */
export function createApp(hooks: AppHooks): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/health', (_req, res) => {
    if (hooks.ready()) res.status(200).json({ status: 'ok' });
    else res.status(503).json({ status: 'starting' });
  });
  hooks.mountRoutes(app);
  app.use((req: Request, res: Response) => {
    sendError(res, new HubError('NotFound', `No API at ${req.method} ${req.path}.`));
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: number; type?: string }).status;
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') return void sendError(res, new HubError('MessageTooLarge', 'The request body is too large.'));
    if (type === 'entity.parse.failed' || (status === 400 && error instanceof SyntaxError)) {
      return void sendError(res, new HubError('ArgumentInvalid', 'The request body is not valid JSON.'));
    }
    // The router could not decode a path parameter (`/twins/%ZZ`): a bad request, not a server error.
    if (error instanceof URIError) return void sendError(res, new HubError('ArgumentInvalid', 'The request path has a malformed %-escape.'));
    // Any other request the body reader refused (an unsupported Content-Encoding, an aborted upload).
    if (!(error instanceof HubError) && (error as { expose?: boolean }).expose === true && typeof status === 'number' && status >= 400 && status < 500) {
      return void sendError(res, new HubError('ArgumentInvalid', `The request could not be read: ${(error as Error).message}`));
    }
    sendError(res, error);
  });
  return app;
}
