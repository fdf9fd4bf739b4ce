import { Router } from 'express';
import { parseClockRequest, type Permission } from '@hubemu/shared';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';
import { asyncRoute, parseBodyWith, parsedBody, requireAuth, sendJson } from '../http/route-kit.js';
import type { ClockControl } from './clock-control.js';

export interface ClockRouterDeps {
  auth: SasAuthenticator;
  clock: ClockControl;
}

/** The control plane is for a policy with every permission (the well-known `iothubowner`): each one is checked by the REST API's own guard. */
const EVERY_PERMISSION: readonly Permission[] = ['RegistryRead', 'RegistryWrite', 'ServiceConnect', 'DeviceConnect'];

/**
 * `GET /emulator/clock` answers `{ now, mode }`; `POST /emulator/clock` with `{"now": ISO}`,
 * `{"advanceMs": N}` or `{"advance": "PT5M"}` moves a test clock and answers once every timer due by
 * then ran. On the system clock the POST is 400 ArgumentInvalid.
 */
export function clockRouter({ auth, clock }: ClockRouterDeps): Router {
  const router = Router();
  const owner = EVERY_PERMISSION.map((permission) => requireAuth(auth, [permission]));
  router.get('/emulator/clock', ...owner, (_req, res) => sendJson(res, 200, clock.state()));
  router.post(
    '/emulator/clock',
    ...owner,
    ...parseBodyWith(parseClockRequest),
    asyncRoute(async (req, res) => sendJson(res, 200, await clock.move(parsedBody(parseClockRequest, req)))),
  );
  return router;
}
