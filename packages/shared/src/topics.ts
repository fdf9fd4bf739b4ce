/**
 * The `$iothub` MQTT topic grammar, built and parsed in one place for the hub and the device agent.
 * See reference section 1.4.
 */

import { getOwn, setOwn } from './own-keys.js';

export type DeviceRequestTopic =
  | { kind: 'twinGet'; rid: string }
  | { kind: 'twinPatchReported'; rid: string; version?: number }
  | { kind: 'methodResponse'; rid: string; status: number }
  | { kind: 'telemetry'; deviceId: string; moduleId?: string; properties: PropertyBag };

export type HubTopic =
  | { kind: 'twinResponse'; status: number; rid: string; version?: number }
  | { kind: 'desiredPatch'; version: number }
  | { kind: 'methodRequest'; methodName: string; rid: string };

/** A parsed `k=v&k2=v2` property bag; a bare key (no `=`) means null. */
export type PropertyBag = Record<string, string | null>;

export const TWIN_RESPONSE_FILTER = '$iothub/twin/res/#';
export const DESIRED_PATCH_FILTER = '$iothub/twin/PATCH/properties/desired/#';
export const METHOD_REQUEST_FILTER = '$iothub/methods/POST/#';

const TWIN_GET_PREFIX = '$iothub/twin/GET/';
const TWIN_PATCH_REPORTED_PREFIX = '$iothub/twin/PATCH/properties/reported/';
const METHOD_RESPONSE_PREFIX = '$iothub/methods/res/';
const TWIN_RESPONSE_PREFIX = '$iothub/twin/res/';
const DESIRED_PATCH_PREFIX = '$iothub/twin/PATCH/properties/desired/';
const METHOD_REQUEST_PREFIX = '$iothub/methods/POST/';

export function encodePropertyBag(bag: PropertyBag): string {
  return Object.entries(bag)
    .map(([k, v]) => (v === null ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
    .join('&');
}

/** The system properties a device sets in a telemetry property bag (reference 1.4), by their names in the service. */
export const TELEMETRY_SYSTEM_PROPERTIES: Readonly<Record<string, string>> = {
  '$.mid': 'messageId',
  '$.cid': 'correlationId',
  '$.uid': 'userId',
  '$.to': 'to',
  '$.ct': 'contentType',
  '$.ce': 'contentEncoding',
  '$.exp': 'expiryTimeUtc',
  '$.ctime': 'creationTimeUtc',
  '$.ifid': 'interfaceId',
  '$.sub': 'componentName',
};

/**
 * Splits a telemetry property bag into application properties and system properties (`$.`-prefixed;
 * the known ones renamed as the service names them, e.g. `$.ct` to `contentType`; others keep their key).
 */
export function splitTelemetryProperties(bag: PropertyBag): { properties: PropertyBag; systemProperties: PropertyBag } {
  const properties: PropertyBag = {};
  const systemProperties: PropertyBag = {};
  for (const [key, value] of Object.entries(bag)) {
    if (key.startsWith('$.')) setOwn(systemProperties, getOwn(TELEMETRY_SYSTEM_PROPERTIES, key) ?? key, value);
    else setOwn(properties, key, value);
  }
  return { properties, systemProperties };
}

/** Parses `k=v&...` (URL-encoded). Returns undefined when a part cannot be decoded. */
export function parsePropertyBag(text: string): PropertyBag | undefined {
  const bag: PropertyBag = {};
  if (text === '') return bag;
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    try {
      if (eq < 0) setOwn(bag, decodeURIComponent(part), null);
      else setOwn(bag, decodeURIComponent(part.slice(0, eq)), decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' ')));
    } catch {
      return undefined;
    }
  }
  return bag;
}

/** Splits `{rest}/?{query}` (or `{rest}?{query}`) into the path part and its parsed query. */
function splitQuery(tail: string): { path: string; query: PropertyBag } | undefined {
  const q = tail.indexOf('?');
  const path = q < 0 ? tail : tail.slice(0, q);
  const query = parsePropertyBag(q < 0 ? '' : tail.slice(q + 1));
  if (!query) return undefined;
  return { path: path.endsWith('/') ? path.slice(0, -1) : path, query };
}

function parseInteger(text: string | null | undefined): number | undefined {
  if (text === null || text === undefined || !/^-?\d+$/.test(text)) return undefined;
  return Number(text);
}

/** Result of parsing a topic a device published on. `invalid` carries the reason for the error reply. */
export type ParsedDeviceTopic = DeviceRequestTopic | { kind: 'invalid'; reason: string; rid?: string } | { kind: 'unknown' };

/** Parses a topic a device (or module) published to. Identity checks are the caller's job. */
export function parseDeviceTopic(topic: string): ParsedDeviceTopic {
  if (topic.startsWith(TWIN_GET_PREFIX)) {
    const parts = splitQuery(topic.slice(TWIN_GET_PREFIX.length));
    const rid = parts?.query.$rid;
    if (!parts || parts.path !== '') return { kind: 'invalid', reason: 'Malformed twin GET topic.' };
    if (rid === undefined || rid === null || rid === '') return { kind: 'invalid', reason: 'The $rid parameter is required.' };
    return { kind: 'twinGet', rid };
  }
  if (topic.startsWith(TWIN_PATCH_REPORTED_PREFIX)) {
    const parts = splitQuery(topic.slice(TWIN_PATCH_REPORTED_PREFIX.length));
    const rid = parts?.query.$rid;
    if (!parts || parts.path !== '') return { kind: 'invalid', reason: 'Malformed reported-properties topic.' };
    if (rid === undefined || rid === null || rid === '') return { kind: 'invalid', reason: 'The $rid parameter is required.' };
    const versionText = parts.query.$version;
    if (versionText === undefined) return { kind: 'twinPatchReported', rid };
    const version = parseInteger(versionText);
    if (version === undefined) return { kind: 'invalid', reason: 'The $version parameter must be an integer.', rid };
    return { kind: 'twinPatchReported', rid, version };
  }
  if (topic.startsWith(METHOD_RESPONSE_PREFIX)) {
    const parts = splitQuery(topic.slice(METHOD_RESPONSE_PREFIX.length));
    const rid = parts?.query.$rid;
    const status = parseInteger(parts?.path);
    if (!parts || rid === undefined || rid === null || status === undefined) {
      return { kind: 'invalid', reason: 'A method response topic is $iothub/methods/res/{status}/?$rid={rid}.' };
    }
    return { kind: 'methodResponse', rid, status };
  }
  const telemetry = parseTelemetryTopic(topic);
  if (telemetry) return telemetry;
  return { kind: 'unknown' };
}

const TELEMETRY_RE = /^devices\/([^/]+)(?:\/modules\/([^/]+))?\/messages\/events(?:\/(.*))?$/;

function parseTelemetryTopic(topic: string): ParsedDeviceTopic | undefined {
  const m = TELEMETRY_RE.exec(topic);
  if (!m) return undefined;
  const properties = parsePropertyBag(m[3] ?? '');
  if (!properties) return { kind: 'invalid', reason: 'The telemetry property bag is not URL-encoded.' };
  const deviceId = m[1] as string;
  return m[2] === undefined
    ? { kind: 'telemetry', deviceId, properties }
    : { kind: 'telemetry', deviceId, moduleId: m[2], properties };
}

/**
 * May the identity `{deviceId}[/{moduleId}]` publish on `topic`? Twin requests, method responses and
 * its own telemetry; nothing else (reference 1.4). Whether the request itself is well formed is
 * `parseDeviceTopic`'s job.
 */
export function mayDevicePublish(topic: string, deviceId: string, moduleId?: string): boolean {
  // A topic name must not contain U+0000 (MQTT 4.7.3); the hub closes the connection.
  if (topic.includes('\u0000')) return false;
  if (topic.startsWith(TWIN_GET_PREFIX) || topic.startsWith(TWIN_PATCH_REPORTED_PREFIX) || topic.startsWith(METHOD_RESPONSE_PREFIX)) return true;
  const own = moduleId === undefined ? `devices/${deviceId}/messages/events` : `devices/${deviceId}/modules/${moduleId}/messages/events`;
  return topic === own || topic.startsWith(`${own}/`);
}

/** True for the topics the hub itself publishes to devices (twin responses, desired patches, method requests). */
export function isHubTopic(topic: string): boolean {
  return topic.startsWith(TWIN_RESPONSE_PREFIX) || topic.startsWith(DESIRED_PATCH_PREFIX) || topic.startsWith(METHOD_REQUEST_PREFIX);
}

/** Parses a topic the hub sent to a device (used by the device agent). */
export function parseHubTopic(topic: string): HubTopic | undefined {
  if (topic.startsWith(TWIN_RESPONSE_PREFIX)) {
    const parts = splitQuery(topic.slice(TWIN_RESPONSE_PREFIX.length));
    const status = parseInteger(parts?.path);
    const rid = parts?.query.$rid;
    if (!parts || status === undefined || rid === undefined || rid === null) return undefined;
    const version = parseInteger(parts.query.$version);
    return version === undefined ? { kind: 'twinResponse', status, rid } : { kind: 'twinResponse', status, rid, version };
  }
  if (topic.startsWith(DESIRED_PATCH_PREFIX)) {
    const parts = splitQuery(topic.slice(DESIRED_PATCH_PREFIX.length));
    const version = parseInteger(parts?.query.$version);
    if (!parts || version === undefined) return undefined;
    return { kind: 'desiredPatch', version };
  }
  if (topic.startsWith(METHOD_REQUEST_PREFIX)) {
    const parts = splitQuery(topic.slice(METHOD_REQUEST_PREFIX.length));
    const rid = parts?.query.$rid;
    if (!parts || parts.path === '' || rid === undefined || rid === null) return undefined;
    return { kind: 'methodRequest', methodName: parts.path, rid };
  }
  return undefined;
}

export const topics = {
  twinGet: (rid: string): string => `${TWIN_GET_PREFIX}?$rid=${encodeURIComponent(rid)}`,
  twinPatchReported: (rid: string, version?: number): string =>
    `${TWIN_PATCH_REPORTED_PREFIX}?$rid=${encodeURIComponent(rid)}${version === undefined ? '' : `&$version=${version}`}`,
  twinResponse: (status: number, rid: string, version?: number): string =>
    `${TWIN_RESPONSE_PREFIX}${status}/?$rid=${encodeURIComponent(rid)}${version === undefined ? '' : `&$version=${version}`}`,
  desiredPatch: (version: number): string => `${DESIRED_PATCH_PREFIX}?$version=${version}`,
  methodRequest: (methodName: string, rid: string): string => `${METHOD_REQUEST_PREFIX}${methodName}/?$rid=${encodeURIComponent(rid)}`,
  methodResponse: (status: number, rid: string): string => `${METHOD_RESPONSE_PREFIX}${status}/?$rid=${encodeURIComponent(rid)}`,
  telemetry: (deviceId: string, properties: PropertyBag = {}, moduleId?: string): string => {
    const base = moduleId === undefined ? `devices/${deviceId}/messages/events/` : `devices/${deviceId}/modules/${moduleId}/messages/events/`;
    return base + encodePropertyBag(properties);
  },
  c2dFilter: (deviceId: string): string => `devices/${deviceId}/messages/devicebound/#`,
} as const;

/** What a C2D message carries in its topic's property bag (reference messaging §6), by the device SDKs' names. */
export interface C2dTopicProperties {
  messageId?: string;
  correlationId?: string;
  /** `/devices/{id}/messages/devicebound`. */
  to?: string;
  /** ISO 8601 UTC, only when the sender set an expiry. */
  expiryTimeUtc?: string;
  userId?: string;
  contentType?: string;
  contentEncoding?: string;
  /** `iothub-ack`: none, positive, negative, full. */
  ack?: string;
  /** Application properties. */
  properties: Record<string, string>;
}

/** The bag's system keys in the order real traces show them (`$.mid`, `$.to`, ..., `$.ce`), then `iothub-ack`, then app properties. */
const C2D_SYSTEM_KEYS = [
  ['$.mid', 'messageId'],
  ['$.to', 'to'],
  ['$.cid', 'correlationId'],
  ['$.exp', 'expiryTimeUtc'],
  ['$.uid', 'userId'],
  ['$.ct', 'contentType'],
  ['$.ce', 'contentEncoding'],
] as const satisfies ReadonlyArray<readonly [string, keyof C2dTopicProperties]>;

const C2D_TOPIC_RE = /^devices\/([^/]+)\/messages\/devicebound\/(.*)$/;

/**
 * The topic a C2D message is published on: `devices/{id}/messages/devicebound/{bag}`, the `/` kept even
 * with an empty bag (Node's SDK drops a topic without it). Keys and values are percent-encoded
 * (`$` as `%24`, `/` as `%2F`), because Node splits the bag on every `/`, `&` and `=`.
 */
export function c2dTopic(deviceId: string, message: C2dTopicProperties): string {
  const bag: Record<string, string> = {};
  for (const [key, field] of C2D_SYSTEM_KEYS) {
    const value = message[field];
    if (typeof value === 'string') bag[key] = value;
  }
  if (message.ack !== undefined) bag['iothub-ack'] = message.ack;
  for (const [key, value] of Object.entries(message.properties)) if (!(key in bag)) setOwn(bag, key, value);
  return `devices/${deviceId}/messages/devicebound/${encodePropertyBag(bag)}`;
}

/** Parses a C2D topic back (the device agent, tests); undefined when it is not one or its bag is not URL-encoded. */
export function parseC2dTopic(topic: string): ({ deviceId: string } & C2dTopicProperties) | undefined {
  const m = C2D_TOPIC_RE.exec(topic);
  if (!m) return undefined;
  const bag = parsePropertyBag(m[2] as string);
  if (!bag) return undefined;
  const parsed: { deviceId: string } & C2dTopicProperties = { deviceId: m[1] as string, properties: {} };
  const system = new Map<string, keyof C2dTopicProperties>(C2D_SYSTEM_KEYS);
  for (const [key, value] of Object.entries(bag)) {
    const field = system.get(key);
    if (field !== undefined && field !== 'properties') parsed[field] = value ?? '';
    else if (key === 'iothub-ack') parsed.ack = value ?? '';
    else setOwn(parsed.properties, key, value ?? '');
  }
  return parsed;
}

/** True when `topic` is a C2D topic of exactly `deviceId` (compared as text: ids may hold `+` or `#`). */
export function isC2dTopicOf(topic: string, deviceId: string): boolean {
  return topic.startsWith(`devices/${deviceId}/messages/devicebound/`);
}

/**
 * MQTT forbids `+` and `#` inside a topic level, so a broker refuses `devices/a+b/messages/devicebound/#`.
 * The hub delivers C2D straight to the device's session, never by matching filters, so the broker only
 * needs to keep the filter: the device id's `+`, `#` and `%` are percent-encoded in it. Other filters pass as they are.
 */
export function brokerSafeC2dFilter(filter: string): string {
  const m = /^devices\/(.+)\/messages\/devicebound\/(#?)$/.exec(filter);
  if (!m || !/[+#]/.test(m[1] as string)) return filter;
  return `devices/${escapeWildcards(m[1] as string)}/messages/devicebound/${m[2] as string}`;
}

function escapeWildcards(id: string): string {
  return id.replace(/[%+#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The subscription filters a device or module may use, with the name of what each receives. */
export type DeviceSubscription = 'twinResponses' | 'desiredPatches' | 'methodRequests' | 'cloudToDevice' | 'moduleInputs';

/** The filters that subscribe to each `$iothub` channel (the desired one with or without the `#`). */
export const IOTHUB_CHANNEL_FILTERS: Readonly<Record<'twinResponses' | 'desiredPatches' | 'methodRequests', readonly string[]>> = {
  twinResponses: [TWIN_RESPONSE_FILTER],
  desiredPatches: [DESIRED_PATCH_FILTER, DESIRED_PATCH_PREFIX],
  methodRequests: [METHOD_REQUEST_FILTER],
};

const IOTHUB_CHANNEL_OF_FILTER: ReadonlyMap<string, DeviceSubscription> = new Map(
  Object.entries(IOTHUB_CHANNEL_FILTERS).flatMap(([channel, filters]) => filters.map((filter) => [filter, channel as DeviceSubscription] as const)),
);

/**
 * Classifies a SUBSCRIBE filter for the identity `{deviceId}[/{moduleId}]`. Returns undefined for any
 * filter the real hub refuses (another device's topics, wildcards at the wrong level, unknown topics).
 */
export function classifySubscription(filter: string, deviceId: string, moduleId?: string): DeviceSubscription | undefined {
  const channel = IOTHUB_CHANNEL_OF_FILTER.get(filter);
  if (channel) return channel;
  if (moduleId === undefined) {
    for (const id of /[+#]/.test(deviceId) ? [escapeWildcards(deviceId)] : [deviceId]) {
      if (filter === `devices/${id}/messages/devicebound/#` || filter === `devices/${id}/messages/devicebound/`) return 'cloudToDevice';
    }
    return undefined;
  }
  if (filter === `devices/${deviceId}/modules/${moduleId}/#` || filter === `devices/${deviceId}/modules/${moduleId}/inputs/#`) {
    return 'moduleInputs';
  }
  return undefined;
}
