import { Router } from 'express';
import { parseClockRequest } from '@hubemu/shared';
import { asyncRoute, parseBodyWith, parsedBody, sendJson } from '../http/route-kit.js';
import type { ClockControl } from './clock-control.js';

/**
 * `GET /emulator/clock` answers `{ now, mode }`; `POST /emulator/clock` with `{"now": ISO}`,
 * `{"advanceMs": N}` or `{"advance": "PT5M"}` moves a test clock and answers once every timer due by
 * then ran. On the system clock the POST is 400 ArgumentInvalid. Mounted by `mountControlPlane` (owner only).
 */
export function clockRouter(clock: ClockControl): Router {
  const router = Router();
  router.get('/clock', (_req, res) => sendJson(res, 200, clock.state()));
  router.post(
    '/clock',
    ...parseBodyWith(parseClockRequest),
    asyncRoute(async (req, res) => sendJson(res, 200, await clock.move(parsedBody(parseClockRequest, req)))),
  );
  return router;
}
