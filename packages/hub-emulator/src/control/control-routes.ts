import { Router, type Request } from 'express';
import { HubError } from '@hubemu/shared';
import { asyncRoute, param, sendJson } from '../http/route-kit.js';
import type { Controls } from './controls.js';

/** The media type of JSON lines (an `Accept` naming it or `application/jsonl` asks for them). */
const JSON_LINES = 'application/x-ndjson';

/** `?format=jsonl`, or an `Accept` header that names JSON lines; JSON otherwise. */
function wantsJsonLines(req: Request): boolean {
  const format = req.query.format;
  if (format !== undefined) {
    if (format === 'jsonl') return true;
    if (format === 'json') return false;
    throw new HubError('ArgumentInvalid', "Invalid traffic query: format must be 'json' or 'jsonl'.");
  }
  return /application\/(x-ndjson|jsonl)/i.test(req.get('accept') ?? '');
}

/** The query parameters that filter, as sent (the controls parse them); `api-version`, which every service client sends, selects nothing. */
function filterOf(req: Request): Record<string, unknown> {
  const { format: _format, 'api-version': _apiVersion, ...query } = req.query;
  return query;
}

/** `POST /emulator/reset`, `GET /emulator/traffic`, `POST /emulator/devices/{id}[/modules/{mid}]/disconnect`. */
export function controlRoutes(controls: Controls): Router {
  const router = Router();
  router.post('/reset', asyncRoute(async (_req, res) => sendJson(res, 200, await controls.reset())));
  router.get(
    '/traffic',
    asyncRoute(async (req, res) => {
      const jsonLines = wantsJsonLines(req);
      const page = await controls.traffic(filterOf(req));
      if (!jsonLines) return sendJson(res, 200, page);
      res.status(200);
      res.setHeader('Content-Type', `${JSON_LINES}; charset=utf-8`);
      res.setHeader('hubemu-traffic-dropped', String(page.dropped));
      res.send(page.records.map((record) => `${JSON.stringify(record)}\n`).join(''));
    }),
  );
  router.post(
    '/devices/:deviceId/disconnect',
    asyncRoute((req, res) => sendJson(res, 200, { disconnected: controls.disconnect(param(req, 'deviceId')) })),
  );
  router.post(
    '/devices/:deviceId/modules/:moduleId/disconnect',
    asyncRoute((req, res) => sendJson(res, 200, { disconnected: controls.disconnect(param(req, 'deviceId'), param(req, 'moduleId')) })),
  );
  return router;
}
