import type { Response } from 'express';
import { newTrackingId, toEnvelope1, toEnvelope2, toHubError, wireErrorName, type HubError } from '@hubemu/shared';

/**
 * Which error body to write. 1: registry, twin, query, job and configuration APIs. 2: the device
 * plane. 'method': direct-method calls, where the service's callers read either shape, so the body
 * carries both (envelope 2's fields first, then envelope 1's `Message`/`ExceptionMessage`).
 */
export type ErrorEnvelope = 1 | 2 | 'method';

/**
 * Renders a HubError the way the real service does: envelope 1 (or 2 for methods) and `iothub-errorcode`.
 * The error is left in `res.locals.hubError` for the request event; its time is when the request
 * arrived by the hub's clock (`res.locals.receivedAt`, set by the app).
 */
export function sendError(res: Response, thrown: unknown, envelope: ErrorEnvelope = 1): HubError {
  const error = toHubError(thrown);
  res.locals.hubError = error;
  const now = new Date(typeof res.locals.receivedAt === 'number' ? res.locals.receivedAt : Date.now());
  const trackingId = newTrackingId();
  res.status(error.status);
  res.setHeader('iothub-errorcode', wireErrorName(error.errorCode));
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  const body =
    envelope === 1
      ? toEnvelope1(error, trackingId, now)
      : envelope === 2
        ? toEnvelope2(error, trackingId, now)
        : { ...toEnvelope2(error, trackingId, now), ...toEnvelope1(error, trackingId, now) };
  res.send(JSON.stringify(body));
  return error;
}
