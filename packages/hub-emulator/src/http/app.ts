import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { formatTimestamp, HubError, type Clock, type Logger } from '@hubemu/shared';
import type { HubEvents } from '../events.js';
import type { ServicePrincipal } from '../auth/sas-authenticator.js';
import { sendError } from './error-response.js';

export interface AppHooks {
  /** True once every listener is up. */
  ready: () => boolean;
  /** Mounts the REST service API routes. */
  mountRoutes: (app: Express) => void;
  clock: Clock;
  events: HubEvents;
  logger: Logger;
}

/** Emits one `request` event per HTTP request when its response is finished (the REST plane's record). */
function observeRequests(hooks: AppHooks) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    const at = hooks.clock.now();
    res.locals.receivedAt = at;
    // 'close' also comes for a request never answered (an injected drop): it is recorded with status 0.
    res.on('close', () => {
      const error = res.locals.hubError as HubError | undefined;
      const principal = res.locals.principal as ServicePrincipal | undefined;
      const identity = res.locals.identity as { deviceId?: string; moduleId?: string } | undefined;
      const requestId = req.get('x-ms-client-request-id');
      hooks.events.emit('request', {
        plane: 'http',
        ...(identity?.deviceId === undefined ? {} : { deviceId: identity.deviceId }),
        ...(identity?.moduleId === undefined ? {} : { moduleId: identity.moduleId }),
        ...(principal ? { principal: principal.policy.name } : typeof res.locals.deviceKey === 'string' ? { principal: res.locals.deviceKey } : {}),
        operation: `${req.method} ${typeof res.locals.route === 'string' ? res.locals.route : req.path}`,
        status: res.writableFinished ? res.statusCode : 0,
        ...(error ? { errorCode: error.errorCode, message: error.message } : {}),
        ...(requestId === undefined ? {} : { requestId }),
        requestBytes: Number(req.get('content-length') ?? 0) || 0,
        responseBytes: Number(res.getHeader('content-length') ?? 0) || 0,
        durationMs: performance.now() - started,
        at: formatTimestamp(at),
        ...(typeof res.locals.fault === 'string' ? { fault: res.locals.fault } : {}),
      });
    });
    next();
  };
}

/** The express app of the HTTPS port: `/health`, the REST service API, and IoT Hub-shaped errors. */
export function createApp(hooks: AppHooks): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(observeRequests(hooks));
  app.get('/health', (_req, res) => {
    if (hooks.ready()) res.status(200).json({ status: 'ok' });
    else res.status(503).json({ status: 'starting' });
  });
  hooks.mountRoutes(app);
  app.use((req: Request, res: Response) => {
    sendError(res, new HubError('NotFound', `No API at ${req.method} ${req.path}.`));
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
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
    const sent = sendError(res, error);
    if (sent.errorCode === 'ServerError') hooks.logger.error({ method: req.method, path: req.path, err: error instanceof Error ? error.stack : String(error) }, 'request failed');
  });
  return app;
}
