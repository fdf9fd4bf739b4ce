import type { Express, Router } from 'express';
import type { Clock } from '@hubemu/shared';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';
import type { MethodService } from '../methods/method-service.js';
import type { RegistryService } from '../registry/registry-service.js';
import type { TwinService } from '../twin/twin-service.js';
import type { QueryService } from '../query-service.js';
import { queryRouter } from './query-router.js';
import { devicesRouter } from './devices-router.js';
import { methodsRouter } from './methods-router.js';
import { modulesRouter } from './modules-router.js';
import { statisticsRouter } from './statistics-router.js';
import { twinsRouter } from './twins-router.js';

/** What the REST service API routes call. Routes never touch a store. */
export interface ServiceApiDeps {
  auth: SasAuthenticator;
  registry: RegistryService;
  twins: TwinService;
  methods: MethodService;
  query: QueryService;
  clock: Clock;
  /**
   * More routers of the service API (query, jobs, configurations), built by their own files with the
   * helpers of `route-kit.ts` (`requireAuth`, `parseBody`, `ROUTE_PERMISSIONS`, `sendJson`). They are
   * mounted before the built-in ones, so a specific path such as `POST /devices/query` wins.
   */
  extraRouters?: readonly Router[];
}

/**
 * Mounts the IoT Hub service REST API (reference section 4). Any `api-version` is accepted. Each area
 * lives in its own router file; errors are rendered by the app's error handler with the shared table.
 */
export function mountServiceApi(app: Express, deps: ServiceApiDeps): void {
  for (const router of deps.extraRouters ?? []) app.use(router);
  app.use(queryRouter(deps));
  app.use(devicesRouter(deps));
  app.use(modulesRouter(deps));
  app.use(twinsRouter(deps));
  app.use(methodsRouter(deps));
  app.use(statisticsRouter(deps));
}
