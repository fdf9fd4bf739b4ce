import { createHmac, timingSafeEqual } from 'node:crypto';
import { setOwn } from './own-keys.js';

/**
 * Shared access signatures (reference 1.3). Pure functions over node:crypto; the clock is passed in.
 */

export interface SasToken {
  /** `sr` exactly as it appears in the token (still URL-encoded): the HMAC covers this form. */
  resourceUriRaw: string;
  /** `sr` URL-decoded. */
  resourceUri: string;
  signature: string;
  expiry: number;
  keyName?: string;
}

/**
 * Builds a token the way the Node SDKs do: fields `sr, sig[, skn], se`, with `sr` and `skn` encoded by
 * the SDK's strict URL-encoding (`encodeURIComponent` plus `! ' ( ) *`), so the token is byte-for-byte
 * the one `azure-iot-common`'s `SharedAccessSignature.create` makes for the same inputs.
 */
export function signSasToken(resourceUri: string, key: string, expiryEpochSeconds: number, keyName?: string): string {
  const sr = encodeUriComponentStrict(resourceUri);
  const sig = encodeUriComponentStrict(hmac(key, `${sr}\n${expiryEpochSeconds}`));
  return `SharedAccessSignature sr=${sr}&sig=${sig}${keyName ? `&skn=${encodeUriComponentStrict(keyName)}` : ''}&se=${expiryEpochSeconds}`;
}

/** `encodeURIComponent` that also escapes `! ' ( ) *` (lower-case hex, as the Azure IoT Node SDKs write `%2a`). */
function encodeUriComponentStrict(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
}

/**
 * How a key's text becomes the HMAC key: the IoT Hub SDKs base64-decode it; `@azure/event-hubs` (core-amqp)
 * signs with the UTF-8 bytes of the text as it stands (reference iothub-messaging.md §2).
 */
export type SasKeyBytes = 'base64' | 'utf8';

function hmac(key: string, text: string, keyBytes: SasKeyBytes = 'base64'): string {
  return createHmac('sha256', Buffer.from(key, keyBytes)).update(text, 'utf8').digest('base64');
}

/** Parses `SharedAccessSignature k=v&...` with the fields in any order. Undefined when malformed. */
export function parseSasToken(text: string): SasToken | undefined {
  const trimmed = text.trim();
  const prefix = 'SharedAccessSignature ';
  if (!trimmed.startsWith(prefix)) return undefined;
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(prefix.length).split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1));
  }
  const sr = fields.get('sr');
  const sig = fields.get('sig');
  const se = fields.get('se');
  if (!sr || !sig || !se || !/^\d+$/.test(se)) return undefined;
  try {
    const skn = fields.get('skn');
    const token: SasToken = {
      resourceUriRaw: sr,
      resourceUri: decodeURIComponent(sr),
      signature: decodeURIComponent(sig),
      expiry: Number(se),
    };
    if (skn) token.keyName = decodeURIComponent(skn);
    return token;
  } catch {
    return undefined;
  }
}

/** True when the token's signature was made with `key` (either of a primary/secondary pair), read as `keyBytes` says. */
export function sasSignatureMatches(token: SasToken, key: string, keyBytes: SasKeyBytes = 'base64'): boolean {
  const expected = Buffer.from(hmac(key, `${token.resourceUriRaw}\n${token.expiry}`, keyBytes));
  const actual = Buffer.from(token.signature);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * True when the token's `sr` covers `resource`, matched by path segment and case-insensitively (the
 * reference's rule: the service asks for a lower-case `sr`): `host/devices` covers `host/devices/d1`,
 * `host/devices/d` does not cover `host/devices/d1`, and a narrower `sr` never covers the bare host.
 * Hosts given with or without `:port` match each other.
 */
export function sasScopeCovers(tokenResource: string, resource: string): boolean {
  const a = normalizeResource(tokenResource);
  const b = normalizeResource(resource);
  // A token resource must name at least the host: an empty `sr` (or one like `/`) covers nothing.
  if (a.length === 0 || a.length > b.length) return false;
  return a.every((segment, i) => segment === b[i]);
}

function normalizeResource(resource: string): string[] {
  const withoutScheme = resource.replace(/^[a-z]+:\/\//i, '').toLowerCase();
  const segments = withoutScheme.split('/').filter((s) => s !== '');
  if (segments[0]) segments[0] = hostWithoutPort(segments[0]);
  return segments;
}

/** `host` without a trailing `:port`: a host name matches itself with or without its port. */
export function hostWithoutPort(host: string): string {
  return host.replace(/:\d+$/, '');
}

/** The resource URI a device or module token must cover. */
export function deviceResourceUri(hostName: string, deviceId: string, moduleId?: string): string {
  return moduleId === undefined ? `${hostName}/devices/${deviceId}` : `${hostName}/devices/${deviceId}/modules/${moduleId}`;
}

export type ConnectionString = Record<string, string>;

/** Parses `K=V;K=V` (values may contain `=`, as base64 keys do). */
export function parseConnectionString(text: string): ConnectionString {
  const out: ConnectionString = {};
  for (const part of text.split(';')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`Malformed connection string segment: "${part}"`);
    setOwn(out, part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
}

export function buildConnectionString(fields: ConnectionString): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${v}`)
    .join(';');
}
