import type { Express, NextFunction, Request, Response } from 'express';
import type { Admission } from '../faults/admission.js';
import { sendError } from './error-response.js';

/** Routes the admission seam never touches: the emulator's own controls (a fault on every route must still be clearable). */
const CONTROL_PREFIX = '/emulator/';

/** Gives the app's REST routes the admission seam (faults, tier throttles); `admitRoute` asks it. */
export function installAdmission(app: Express, admission: Admission): void {
  app.locals.admission = admission;
}

/**
 * The REST plane's call to the admission seam, made by `requireAuth` once a caller is authenticated,
 * so it knows the route pattern and the identity: a fault or throttle fails the call with the
 * service's error body, delays it, or drops it (no answer; the client times out). The fault's id is
 * left in `res.locals.fault` for the request event.
 */
export function admitRoute(req: Request, res: Response, next: NextFunction): void {
  const admission = req.app.locals.admission as Admission | undefined;
  const path = res.locals.route as string;
  if (!admission || admission.idle || path.startsWith(CONTROL_PREFIX)) return next();
  const identity = res.locals.identity as { deviceId?: string; moduleId?: string } | undefined;
  const route = `${req.method} ${path}`;
  const verdict = admission.admit({
    operation: 'http',
    route,
    ...(identity?.deviceId === undefined ? {} : { deviceId: identity.deviceId }),
    ...(identity?.moduleId === undefined ? {} : { moduleId: identity.moduleId }),
    bytes: Number(req.get('content-length') ?? 0) || 0,
  });
  if (!verdict) return next();
  if (verdict.faultId !== undefined) res.locals.fault = verdict.faultId;
  if (verdict.act === 'fail') return void sendError(res, verdict.error, path.endsWith('/methods') ? 'method' : 1);
  if (verdict.act === 'delay') return void admission.after(verdict.ms, next);
  // drop: no answer at all.
}
