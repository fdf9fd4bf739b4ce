import type { Response } from 'express';
import { toEnvelope1, toEnvelope2, toHubError, wireErrorName, type HubError } from '@hubemu/shared';
import { randomUUID } from 'node:crypto';

/** Renders a HubError the way the real service does: envelope 1 (or 2 for methods) and `iothub-errorcode`. */
export function sendError(res: Response, thrown: unknown, envelope: 1 | 2 = 1, now: Date = new Date()): HubError {
  const error = toHubError(thrown);
  const trackingId = randomUUID().replace(/-/g, '');
  res.status(error.status);
  res.setHeader('iothub-errorcode', wireErrorName(error.errorCode));
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.send(JSON.stringify(envelope === 1 ? toEnvelope1(error, trackingId, now) : toEnvelope2(error, trackingId, now)));
  return error;
}
