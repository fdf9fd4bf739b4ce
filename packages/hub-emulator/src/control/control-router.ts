import { Router, type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { HubError, type Permission } from '@hubemu/shared';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';

/** The control plane is for the hub's owner: a policy with every permission, like the well-known `iothubowner`. */
export const OWNER_PERMISSIONS: readonly Permission[] = ['RegistryRead', 'RegistryWrite', 'ServiceConnect', 'DeviceConnect'];

/**
 * Lets through a SAS token whose policy has every permission. A bad or missing token is 401
 * IotHubUnauthorized; a good token of a smaller policy is 401 IotHubUnauthorizedAccess, as the service
 * API answers a policy without the permission a route needs.
 */
export function requireOwner(auth: SasAuthenticator): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    res.locals.route = req.originalUrl.split('?')[0];
    const header = req.get('authorization');
    try {
      for (const permission of OWNER_PERMISSIONS) res.locals.principal = auth.authenticateService(header, permission);
      next();
    } catch (error) {
      if (error instanceof HubError && error.errorCode === 'IotHubUnauthorizedAccess') {
        next(new HubError('IotHubUnauthorizedAccess', `The test controls (/emulator/) need a policy with every permission, like iothubowner: ${error.message}`));
      } else next(error);
    }
  };
}

/**
 * Mounts the control plane at `/emulator/`: the owner check, then each area's router (reset, traffic
 * and disconnect from `controlRoutes`; faults and clock attach here with one argument each). Routers
 * are written relative to `/emulator` (`router.post('/reset', ...)`) and never check auth themselves.
 */
export function mountControlPlane(app: Express, auth: SasAuthenticator, ...routers: Router[]): void {
  app.use('/emulator', requireOwner(auth), ...routers);
}
