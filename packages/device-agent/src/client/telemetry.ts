import type { JsonValue, PropertyBag } from '@hubemu/shared';
import { DeviceClientError } from '../errors.js';

/** A telemetry body: bytes and strings go as they are; any other JSON value is sent as JSON. */
export type TelemetryBody = string | Buffer | Uint8Array | JsonValue;

/** Device-to-cloud message size limit (reference 1.1). */
export const MAX_TELEMETRY_BYTES = 256 * 1024;

export function encodeTelemetry(body: TelemetryBody, properties: PropertyBag): { payload: string | Buffer; properties: PropertyBag } {
  let payload: string | Buffer;
  let bag = properties;
  if (typeof body === 'string') payload = body;
  else if (Buffer.isBuffer(body)) payload = body;
  else if (body instanceof Uint8Array) payload = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  else {
    payload = JSON.stringify(body);
    bag = { '$.ct': 'application/json', '$.ce': 'utf-8', ...properties };
  }
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (size > MAX_TELEMETRY_BYTES) {
    throw new DeviceClientError('InvalidArgument', `A telemetry message is at most ${MAX_TELEMETRY_BYTES} bytes; this one is ${size}.`);
  }
  return { payload, properties: bag };
}
