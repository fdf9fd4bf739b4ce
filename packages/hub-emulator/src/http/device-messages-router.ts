import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { formatTimestamp, identityKey, type HubClock } from '@hubemu/shared';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';
import type { C2dService } from '../c2d/c2d-service.js';
import type { C2dLockedMessage } from '../c2d/c2d-types.js';
import type { TelemetryMessage } from '../events.js';
import type { Admission } from '../faults/admission.js';
import { admitD2cSize, isBatch, parseBatch, telemetryProperties, type TelemetryParts } from './device-telemetry.js';
import { committed, param, readBody , type Units } from './route-kit.js';
import { admitRoute } from './route-admission.js';

export interface DeviceMessagesRouterDeps {
  auth: SasAuthenticator;
  c2d: C2dService;
  /** Hands a device-to-cloud message to the hub (`HubCore.acceptTelemetry`): a promise on a hub of several processes. */
  acceptTelemetry: (message: TelemetryMessage) => void | Promise<void>;
  clock: HubClock;
  admission: Pick<Admission, 'idle' | 'admit' | 'after'>;
  /** Stamps the identity's last activity (an HTTPS device is never Connected). */
  activity: (deviceId: string) => void;
  units: Units;
}

/** Who sent a request, as telemetry names it. */
type Sender = Required<Pick<TelemetryMessage, 'auth' | 'generationId'>>;

/**
 * A device token in `Authorization` (reference messaging §7): the identity in the path must be the
 * token's (a device may touch only its own messages: 401 otherwise). The identity's key is left in
 * `res.locals.deviceKey` for the request event; then the admission seam has its say.
 */
function requireDevice(auth: SasAuthenticator, activity: (deviceId: string) => void): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    res.locals.route = `${req.baseUrl}${typeof req.route?.path === 'string' ? req.route.path : ''}` || req.path;
    const deviceId = param(req, 'deviceId');
    res.locals.identity = { deviceId };
    const verified = auth.authenticateDevice(req.get('authorization') ?? '', deviceId);
    res.locals.deviceKey = identityKey(deviceId);
    // What telemetry is stamped with (iothub-connection-auth-method, -auth-generation-id).
    res.locals.sender = { auth: { scope: verified.scope, type: 'sas' }, generationId: verified.entry.generationId } satisfies Sender;
    // Any authenticated call is the device's activity, whatever the seam or the handler make of it.
    activity(deviceId);
    admitRoute(req, res, next);
  };
}

/** Header values must be visible ASCII: anything else is percent-encoded (an application property may hold any text). */
function headerValue(value: string): string {
  return /^[\t\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The 200 answer of a receive (§7.2): the body, the lock as a quoted ETag and the message's properties as headers. */
function sendC2d(res: Response, { message, lockToken }: C2dLockedMessage): void {
  res.status(200);
  res.setHeader('ETag', `"${lockToken}"`);
  const headers: Record<string, string | undefined> = {
    'iothub-messageid': message.messageId,
    'iothub-correlationid': message.correlationId,
    'iothub-userid': message.userId,
    'iothub-to': `/devices/${encodeURIComponent(message.deviceId)}/messages/devicebound`,
    'iothub-expiry': message.senderSetExpiry ? new Date(message.expiresAtMs).toISOString() : undefined,
    'iothub-contenttype': message.contentType,
    'iothub-contentencoding': message.contentEncoding,
    'iothub-ack': message.ack,
    'iothub-sequencenumber': String(message.sequenceNumber),
    'iothub-enqueuedtime': new Date(message.enqueuedAtMs).toISOString(),
    'iothub-deliverycount': String(message.deliveryCount),
  };
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, headerValue(value));
  // Node's SDK keeps these with their prefix (`iothub-app-color`); names a header cannot carry are left out.
  for (const [name, value] of Object.entries(message.properties)) if (TOKEN.test(name)) res.setHeader(`iothub-app-${name}`, headerValue(value));
  res.setHeader('Content-Type', message.contentType && /^[\x20-\x7e]+$/.test(message.contentType) ? message.contentType : 'application/octet-stream');
  res.send(message.body);
}

/**
 * The device HTTPS API (reference messaging §7): telemetry, single or batched, and C2D by polling
 * (receive, complete, reject, abandon). Paths match case-insensitively (Express' default; the REST
 * docs write `deviceBound`); errors are rendered by the app (envelope 1 and `iothub-errorcode`).
 */
export function deviceMessagesRouter({ auth, c2d, acceptTelemetry, clock, admission, activity, units }: DeviceMessagesRouterDeps): Router {
  const router = Router();
  const device = requireDevice(auth, activity);

  router.post('/devices/:deviceId/messages/events', device, readBody, (req, res, next) => {
    const deviceId = param(req, 'deviceId');
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const sender = res.locals.sender as Sender;
    const messages: Array<TelemetryParts & { body: Buffer }> = isBatch(req.headers) ? parseBatch(body) : [{ ...telemetryProperties(req.headers), body }];
    // Checked before any is sent: a batch goes whole or not at all.
    for (const message of messages) admitD2cSize(message);
    const send = (): void => {
      // Received when carried out (after an injected or shaping delay), as on MQTT.
      const receivedAt = formatTimestamp(clock.now());
      const pending: Array<Promise<void>> = [];
      for (const message of messages) {
        const accepted = acceptTelemetry({ deviceId, properties: message.properties, systemProperties: message.systemProperties, body: message.body, receivedAt, ...sender });
        if (accepted instanceof Promise) pending.push(accepted);
      }
      if (pending.length === 0) return void res.status(204).end();
      // On a hub of several processes the 204 waits until the log they share holds every message (503 when it could not).
      Promise.all(pending).then(() => res.status(204).end(), next);
    };
    // The admission seam (faults on `telemetry`, the tier's D2C throttle, each message of a batch counted); unobserved, one check.
    const verdict = admission.idle ? undefined : admission.admit({ operation: 'telemetry', deviceId, bytes: body.length, messages: messages.length });
    if (!verdict) return send();
    if (verdict.faultId !== undefined) res.locals.fault = verdict.faultId;
    if (verdict.act === 'fail') throw verdict.error;
    if (verdict.act === 'delay') return void admission.after(verdict.ms, () => void (req.socket.destroyed ? undefined : send()));
    // The connection is cut (the client sees a reset); a dropped message is never answered (the client times out).
    if (verdict.act === 'disconnect') req.socket.destroy();
  });

  router.get('/devices/:deviceId/messages/devicebound', device, committed(units, (req, res) => {
    const locked = c2d.receive(param(req, 'deviceId'));
    if (!locked) return void res.status(204).end();
    sendC2d(res, locked);
  }));

  // Complete, or reject with `?reject` (a bare key, as Node's SDK appends it).
  router.delete('/devices/:deviceId/messages/devicebound/:lockToken', device, committed(units, (req, res) => {
    const deviceId = param(req, 'deviceId');
    const lockToken = param(req, 'lockToken');
    if (req.query.reject !== undefined) c2d.reject(deviceId, lockToken);
    else c2d.complete(deviceId, lockToken);
    res.status(204).end();
  }));

  router.post('/devices/:deviceId/messages/devicebound/:lockToken/abandon', device, committed(units, (req, res) => {
    c2d.abandon(param(req, 'deviceId'), param(req, 'lockToken'));
    res.status(204).end();
  }));

  return router;
}
