import { Router } from 'express';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';
import type { RegistryService } from '../registry/registry-service.js';
import { requireAuth, ROUTE_PERMISSIONS, sendJson } from './route-kit.js';

export interface StatisticsRouterDeps {
  auth: SasAuthenticator;
  registry: RegistryService;
}

/** `GET /statistics/devices` → `{totalDeviceCount, enabledDeviceCount, disabledDeviceCount}`. */
export function statisticsRouter({ auth, registry }: StatisticsRouterDeps): Router {
  const router = Router();
  router.get('/statistics/devices', requireAuth(auth, ROUTE_PERMISSIONS.registryRead), (_req, res) => {
    sendJson(res, 200, registry.statistics());
  });
  return router;
}
