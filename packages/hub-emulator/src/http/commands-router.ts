import { Router } from 'express';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';
import type { C2dService } from '../c2d/c2d-service.js';
import { committed, identityResource, param, requireAuth, ROUTE_PERMISSIONS, sendJson, type Units } from './route-kit.js';

export interface CommandsRouterDeps {
  auth: SasAuthenticator;
  c2d: C2dService;
  units: Units;
}

/**
 * The service's side of a device's C2D queue over REST (reference messaging §4): `DELETE
 * /devices/{id}/commands` purges it, 200 `{"totalMessagesPurged":n,"deviceId":"…"}` (404001 for an
 * unknown device). Sending and feedback are AMQP's.
 */
export function commandsRouter({ auth, c2d, units }: CommandsRouterDeps): Router {
  const router = Router();
  const allowed = requireAuth(auth, ROUTE_PERMISSIONS.c2d, identityResource());

  router.delete('/devices/:deviceId/commands', allowed, committed(units, (req, res) => {
    const deviceId = param(req, 'deviceId');
    sendJson(res, 200, { totalMessagesPurged: c2d.purge(deviceId), deviceId });
  }));

  return router;
}
