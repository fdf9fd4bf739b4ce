import type { Express } from 'express';
import type { HubCore } from '../core.js';
import { commandsRouter } from './commands-router.js';
import { configurationsRouter } from './configurations-router.js';
import { deviceMessagesRouter } from './device-messages-router.js';
import { jobsRouter } from './jobs-router.js';
import { queryRouter } from './query-router.js';
import { installAdmission } from './route-admission.js';
import { devicesRouter } from './devices-router.js';
import { methodsRouter } from './methods-router.js';
import { modulesRouter } from './modules-router.js';
import { statisticsRouter } from './statistics-router.js';
import { twinsRouter } from './twins-router.js';

/** What the REST service API routes call: the core's services. Routes never touch a store. */
export type ServiceApiDeps = Pick<HubCore, 'auth' | 'registry' | 'twins' | 'methods' | 'query' | 'jobs' | 'configurations' | 'c2d' | 'events' | 'clock' | 'admission' | 'table' | 'store' | 'acceptTelemetry'>;

/**
 * Mounts the IoT Hub service REST API (reference section 4) and the device HTTPS API (messaging §7). Any `api-version` is accepted. Each area
 * lives in its own router file; errors are rendered by the app's error handler with the shared table.
 */
export function mountServiceApi(app: Express, core: ServiceApiDeps): void {
  installAdmission(app, core.admission);
  const { store } = core;
  // Routes never touch the store: a write route runs as one of its units, and on a hub sharing state with
  // other processes every request first waits until this process has seen what was acknowledged before it.
  const units = store;
  if (store.replicated) app.use((_req, _res, next) => void (store.fence() ?? Promise.resolve()).then(() => next(), next));
  const deps = { ...core, units };
  // Specific paths first: `POST /devices/query` and the jobs' `/jobs/v2/query` before `/devices/{id}`.
  app.use(jobsRouter(deps));
  app.use(configurationsRouter(deps));
  app.use(queryRouter(deps));
  app.use(commandsRouter(deps));
  // The device HTTPS API (telemetry, C2D) shares the port and the `/devices/` paths with the service API.
  app.use(deviceMessagesRouter({ ...deps, activity: (deviceId) => deps.table.presence.touched(deviceId) }));
  app.use(devicesRouter(deps));
  app.use(modulesRouter(deps));
  app.use(twinsRouter(deps));
  app.use(methodsRouter(deps));
  app.use(statisticsRouter(deps));
}
