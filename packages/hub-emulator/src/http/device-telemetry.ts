import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { HubError, parseWithSchema, setOwn, tryParseJson } from '@hubemu/shared';

/** The content type of a telemetry batch (reference messaging §7.1). */
export const BATCH_CONTENT_TYPE = 'application/vnd.microsoft.iothub.json';
const APP_PREFIX = 'iothub-app-';

/**
 * System properties a device sends as HTTP headers, by the names the MQTT plane gives them
 * (`splitTelemetryProperties`), so telemetry looks the same whichever plane it came in on. `iothub-to`
 * is left out: Node's SDK always sends it as the request path, so it says nothing about the message.
 */
const SYSTEM_HEADERS: Readonly<Record<string, string>> = {
  'iothub-messageid': 'messageId',
  'iothub-correlationid': 'correlationId',
  'iothub-userid': 'userId',
  'iothub-expiry': 'expiryTimeUtc',
  'iothub-ack': 'ack',
  'iothub-contenttype': 'contentType',
  'iothub-contentencoding': 'contentEncoding',
  'iothub-creation-time-utc': 'creationTimeUtc',
  'iothub-interface-id': 'interfaceId',
  'dt-subject': 'componentName',
};

export interface TelemetryParts {
  properties: Record<string, string>;
  systemProperties: Record<string, string>;
}

/** Splits headers (or a batch item's `properties`) into application properties (`iothub-app-` removed) and system properties. */
export function telemetryProperties(headers: Record<string, string | string[] | undefined>): TelemetryParts {
  const properties: Record<string, string> = {};
  const systemProperties: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers)) {
    const value = Array.isArray(raw) ? raw.join(',') : raw;
    if (value === undefined) continue;
    const key = name.toLowerCase();
    if (key.startsWith(APP_PREFIX) && key.length > APP_PREFIX.length) setOwn(properties, name.slice(APP_PREFIX.length), value);
    else if (Object.hasOwn(SYSTEM_HEADERS, key)) setOwn(systemProperties, SYSTEM_HEADERS[key] as string, value);
  }
  return { properties, systemProperties };
}

/** One message of a batch: Node's SDK sends `body` in base64 and `properties`; Java adds `base64Encoded`. */
const BatchSchema = z.array(
  z.looseObject({
    body: z.string(),
    base64Encoded: z.boolean().optional(),
    properties: z.record(z.string(), z.string()).optional(),
  }),
);

export interface BatchItem extends TelemetryParts {
  body: Buffer;
}

/** Strict base64 (padding optional): Node's `Buffer.from(text, 'base64')` silently skips what is not, which would change the message. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/**
 * Parses a batch body: 400 ArgumentInvalid when it is not JSON (Node's SDK does not escape what it
 * concatenates), not a non-empty list of messages, or an item's body is not base64 (unless it says
 * `base64Encoded: false`). Nothing of a refused batch is sent.
 */
export function parseBatch(body: Buffer): BatchItem[] {
  const json = tryParseJson(body.toString('utf8'));
  if (!json.ok) throw new HubError('ArgumentInvalid', `The batch is not valid JSON: ${json.error}`);
  const items = parseWithSchema(BatchSchema, json.value, 'batch');
  if (items.length === 0) throw new HubError('ArgumentInvalid', 'The batch holds no messages.');
  return items.map((item, i) => {
    if (item.base64Encoded !== false && !BASE64.test(item.body)) {
      throw new HubError('ArgumentInvalid', `The body of batch message ${i} is not base64; send base64, or set "base64Encoded": false for text.`);
    }
    return {
      ...telemetryProperties(item.properties ?? {}),
      body: item.base64Encoded === false ? Buffer.from(item.body, 'utf8') : Buffer.from(item.body, 'base64'),
    };
  });
}

/** A device-to-cloud message may hold at most this much (reference messaging §8): body, application and system properties. */
export const D2C_MAX_MESSAGE_BYTES = 256 * 1024;

/** Refuses a message over D2C_MAX_MESSAGE_BYTES, counting its body and every property name and value, with 413 MessageTooLarge. */
export function admitD2cSize(message: TelemetryParts & { body: Buffer }): void {
  let bytes = message.body.length;
  for (const bag of [message.properties, message.systemProperties]) {
    for (const [key, value] of Object.entries(bag)) bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (bytes > D2C_MAX_MESSAGE_BYTES) {
    throw new HubError('MessageTooLarge', `The message is ${bytes} bytes with its properties; a device-to-cloud message may have at most ${D2C_MAX_MESSAGE_BYTES}.`);
  }
}

/** Whether a request carries a batch. */
export function isBatch(headers: IncomingHttpHeaders): boolean {
  return (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() === BATCH_CONTENT_TYPE;
}
