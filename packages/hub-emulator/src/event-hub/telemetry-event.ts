import { formatTimestamp } from '@hubemu/shared';
import type { ConnectionAuth, TelemetryMessage } from '../events.js';
import type { HubEvent } from './event-hub-types.js';
import { SECTION_FIELDS, type NewHubEvent } from './event-log.js';

/** What the registry knows of the sender, for a plane that did not say (generation id, announced model id). */
export interface SenderFacts {
  generationId?: string;
  modelId?: string;
}

/**
 * System properties the hub turns into annotations (iothub-messaging.md §8; the messages-construct doc's
 * system property table): `$.sub` is the component (`dt-subject`), `$.ctime` the creation time,
 * `$.ifid` the (preview) interface id that `az iot hub monitor-events` shows as `interface`.
 */
const ANNOTATED: ReadonlyArray<readonly [systemProperty: string, annotation: string]> = [
  ['componentName', 'dt-subject'],
  ['creationTimeUtc', 'iothub-creation-time-utc'],
  ['interfaceId', 'iothub-interface-name'],
];

/** `iothub-connection-auth-method` as the service writes it (a JSON string). */
export function authMethodAnnotation(auth: ConnectionAuth): string {
  const key = `${auth.scope}/${auth.type}`;
  let text = AUTH_METHODS.get(key);
  if (text === undefined) {
    text = JSON.stringify({ scope: auth.scope, type: auth.type, issuer: 'iothub', acceptingIpFilterRule: null });
    AUTH_METHODS.set(key, text);
  }
  return text;
}

/** The few auth-method strings there are, made once: telemetry is the hot path. */
const AUTH_METHODS = new Map<string, string>();

/**
 * The event a device's telemetry becomes (iothub-messaging.md §8): application properties as sent
 * (a property without a value becomes an empty string), `$.mid`/`$.cid`/`$.uid`/`$.ct`/`$.ce` in the
 * properties section, and the hub's annotations. The identity annotations (`iothub-connection-device-id`
 * ...) and the `x-opt-*` ones come from the event's own fields when the AMQP plane renders it, so a
 * device can spoof none of them.
 */
export function telemetryEvent(message: TelemetryMessage, sender: SenderFacts): NewHubEvent {
  const system = message.systemProperties;
  const auth = message.auth ?? { scope: message.moduleId === undefined ? 'device' : 'module', type: 'sas' };
  const annotations: Record<string, string> = { 'iothub-connection-auth-method': authMethodAnnotation(auth) };
  const generationId = message.generationId ?? sender.generationId;
  if (generationId) annotations['iothub-connection-auth-generation-id'] = generationId;
  const modelId = message.modelId ?? sender.modelId;
  if (modelId) annotations['dt-dataschema'] = modelId;
  for (const [key, annotation] of ANNOTATED) {
    const value = system[key];
    if (typeof value === 'string') annotations[annotation] = value;
  }
  const properties: Record<string, string> = {};
  for (const key in message.properties) properties[key] = message.properties[key] ?? '';
  // No object spreads on this path: they cost more than the rest of the stamping.
  const event: NewHubEvent = { deviceId: message.deviceId, messageSource: 'Telemetry', annotations, properties, body: message.body };
  if (message.moduleId !== undefined) event.moduleId = message.moduleId;
  for (const key of SECTION_FIELDS) {
    const value = system[key];
    if (typeof value === 'string') event[key] = value;
  }
  return event;
}

/** A telemetry event as the embedded API's `hub.telemetry()` has always given it. */
export function telemetryMessageOf(event: HubEvent): TelemetryMessage {
  const systemProperties: Record<string, string> = {};
  for (const key of SECTION_FIELDS) {
    const value = event[key];
    if (value !== undefined) systemProperties[key] = value;
  }
  for (const [key, annotation] of ANNOTATED) {
    const value = event.annotations[annotation];
    if (value !== undefined) systemProperties[key] = value;
  }
  return {
    deviceId: event.deviceId,
    ...(event.moduleId === undefined ? {} : { moduleId: event.moduleId }),
    properties: { ...event.properties },
    systemProperties,
    body: event.body,
    receivedAt: formatTimestamp(event.enqueuedTimeMs),
  };
}
