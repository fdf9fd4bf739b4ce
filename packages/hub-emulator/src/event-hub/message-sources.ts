import { randomBytes } from 'node:crypto';
import { formatTimestamp, type Clock, type JsonObject, type NonTelemetryMessageSource, type Twin } from '@hubemu/shared';
import type { HubEvents, IdentityRef, TwinUpdatedEvent } from '../events.js';
import type { NewHubEvent } from './event-log.js';

/**
 * Events the hub itself sends to the built-in endpoint when a route asks for them: twin changes,
 * connection state and identity lifecycle. Bodies and properties follow Microsoft's "Azure IoT Hub
 * non-telemetry event schemas" (learn.microsoft.com/azure/iot-hub/iot-hub-non-telemetry-event-schema):
 * system properties content-type application/json, content-encoding utf-8, a unique correlation-id,
 * user-id = the hub name; application properties hubName, deviceId, moduleId (modules only),
 * operationTimestamp, iothub-message-schema and opType.
 */
export interface MessageSourceDeps {
  /** Where the events go: the hub's log, or on a hub of several processes the log they share. */
  append: (event: NewHubEvent) => void;
  events: HubEvents;
  hubName: string;
  clock: Clock;
  sources: readonly NonTelemetryMessageSource[];
  /** The identity's twin now (created identities, twin changes); undefined when it is gone. */
  twin: (ref: IdentityRef) => Twin | undefined;
}

/** What a twin carries in these bodies: identity, etag, version, tags and properties (not status, connection state ...). */
function twinDocument(twin: Twin): JsonObject {
  return {
    deviceId: twin.deviceId,
    ...(twin.moduleId === undefined ? {} : { moduleId: twin.moduleId }),
    etag: twin.etag,
    version: twin.version,
    ...(twin.tags === undefined || Object.keys(twin.tags).length === 0 ? {} : { tags: twin.tags }),
    properties: twin.properties as unknown as JsonObject,
  };
}

/** A changed section as the twin change body shows it: the values written, their `$metadata` and the new `$version`. */
function changedSection(change: JsonObject, section: JsonObject | undefined): JsonObject {
  const current = (section ?? {}) as { $metadata?: JsonObject; $version?: number };
  const all = current.$metadata ?? {};
  const metadata: JsonObject = {};
  for (const key of ['$lastUpdated', '$lastUpdatedVersion']) if (all[key] !== undefined) metadata[key] = all[key];
  for (const key of Object.keys(change)) if (all[key] !== undefined) metadata[key] = all[key];
  return { ...change, $metadata: metadata, ...(current.$version === undefined ? {} : { $version: current.$version }) };
}

/** The twin change body (non-telemetry event schemas, "Device twin change events"): on update the changes with their metadata, on replace the whole twin. */
export function twinChangeBody(event: TwinUpdatedEvent, twin: Twin): JsonObject {
  if (event.replaced) return twinDocument(twin);
  const properties: JsonObject = {};
  const sections = twin.properties as unknown as Record<string, JsonObject>;
  if (event.desired) properties.desired = changedSection(event.desired, sections.desired);
  if (event.reported) properties.reported = changedSection(event.reported, sections.reported);
  return {
    version: twin.version,
    ...(event.tags === undefined ? {} : { tags: event.tags ?? {} }),
    ...(Object.keys(properties).length === 0 ? {} : { properties }),
  };
}

/** Windows file time (100 ns ticks since 1601), as the connection-state sequence numbers in the docs start with. */
function fileTimeHex(ms: number): string {
  return ((BigInt(ms) + 11_644_473_600_000n) * 10_000n).toString(16).toUpperCase().padStart(16, '0');
}

/**
 * Subscribes the enabled sources to the core's events; returns the unsubscribe. Each event goes to the
 * partition of its device, like the device's own telemetry.
 */
export function attachMessageSources(deps: MessageSourceDeps): () => void {
  const { events, hubName, clock } = deps;
  const enabled = new Set(deps.sources);
  const detach: Array<() => void> = [];
  let lastTicks = '';
  let counter = 0n;

  const append = (ref: IdentityRef, messageSource: NonTelemetryMessageSource, schema: string, opType: string, body: JsonObject): void => {
    const event: NewHubEvent = {
      deviceId: ref.deviceId,
      ...(ref.moduleId === undefined ? {} : { moduleId: ref.moduleId }),
      messageSource,
      annotations: {},
      correlationId: randomBytes(6).toString('hex').slice(0, 11),
      userId: hubName,
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      properties: {
        hubName,
        deviceId: ref.deviceId,
        ...(ref.moduleId === undefined ? {} : { moduleId: ref.moduleId }),
        operationTimestamp: formatTimestamp(clock.now()),
        'iothub-message-schema': schema,
        opType,
      },
      body: Buffer.from(JSON.stringify(body)),
    };
    deps.append(event);
  };

  if (enabled.has('twinChangeEvents')) {
    const listener = (event: TwinUpdatedEvent): void => {
      // A change another process made is that process's to publish.
      if (event.remote) return;
      if (!event.desired && !event.reported && event.tags === undefined) return;
      const twin = deps.twin(event);
      if (!twin) return;
      append(event, 'twinChangeEvents', 'twinChangeNotification', event.replaced ? 'replaceTwin' : 'updateTwin', twinChangeBody(event, twin));
    };
    events.on('twinUpdated', listener);
    detach.push(() => events.off('twinUpdated', listener));
  }

  if (enabled.has('deviceConnectionStateEvents')) {
    /** "A string representation of a hexadecimal number", strictly increasing, 256 bits: a file time then a counter. */
    const sequenceNumber = (): string => {
      const ticks = fileTimeHex(clock.now());
      if (ticks > lastTicks) lastTicks = ticks;
      counter += 1n;
      return `${lastTicks}${counter.toString(16).toUpperCase().padStart(48, '0')}`;
    };
    const connected = (ref: IdentityRef): void => append(ref, 'deviceConnectionStateEvents', 'deviceConnectionStateNotification', 'deviceConnected', { sequenceNumber: sequenceNumber() });
    const disconnected = (ref: IdentityRef): void => append(ref, 'deviceConnectionStateEvents', 'deviceConnectionStateNotification', 'deviceDisconnected', { sequenceNumber: sequenceNumber() });
    events.on('deviceConnected', connected);
    events.on('deviceDisconnected', disconnected);
    detach.push(() => events.off('deviceConnected', connected), () => events.off('deviceDisconnected', disconnected));
  }

  if (enabled.has('deviceLifecycleEvents')) {
    const created = (ref: IdentityRef): void => {
      const twin = deps.twin(ref);
      if (twin) append(ref, 'deviceLifecycleEvents', 'deviceLifecycleNotification', 'createDeviceIdentity', twinDocument(twin));
    };
    const deleted = (ref: IdentityRef & { twin?: Twin }): void => {
      const body: JsonObject = ref.twin ? twinDocument(ref.twin) : { deviceId: ref.deviceId, ...(ref.moduleId === undefined ? {} : { moduleId: ref.moduleId }) };
      append({ deviceId: ref.deviceId, ...(ref.moduleId === undefined ? {} : { moduleId: ref.moduleId }) }, 'deviceLifecycleEvents', 'deviceLifecycleNotification', 'deleteDeviceIdentity', body);
    };
    events.on('identityCreated', created);
    events.on('identityDeleted', deleted);
    detach.push(() => events.off('identityCreated', created), () => events.off('identityDeleted', deleted));
  }

  return () => {
    for (const off of detach) off();
  };
}
