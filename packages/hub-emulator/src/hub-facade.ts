import {
  buildConnectionString,
  eventHubConnectionString,
  findPolicy,
  HubError,
  identityKey,
  parseMethodRequest,
  parseServiceTwinBody,
  type DeviceIdentity,
  type JsonObject,
  type ResetResult,
  type TrafficFilter,
  type TrafficRecord,
  type Twin,
} from '@hubemu/shared';
import { parseC2dSendRequest, type C2dSendRequest } from './c2d/c2d-send-request.js';
import type { C2dMessage } from './c2d/c2d-types.js';
import type { TlsMaterial } from './certs.js';
import type { ClockControl } from './control/clock-control.js';
import type { HubCore } from './core.js';
import { parseTrafficFilter, type Controls } from './control/controls.js';
import type { DashboardStatus } from './dashboard/dashboard-status.js';
import type { TelemetryMessage } from './events.js';
import { telemetryMessageOf } from './event-hub/telemetry-event.js';
import type { EventLog } from './event-hub/event-log.js';
import type { HubPorts } from './listeners.js';
import type { FaultService } from './faults/fault-service.js';
import type { MethodResult } from './methods/method-service.js';
import type { MqttPlane } from './mqtt/device-plane.js';
import { errorText } from './store/log-writes.js';

/**
 * A running hub, as `startHub()` returns it: the core's event stream and services (`jobs`: jobs v2,
 * docs/jobs.md; `configurations`: automatic device configurations, docs/configurations.md) and the
 * embedded API below.
 */
export interface Hub extends Pick<HubCore, 'options' | 'events' | 'registry' | 'twins' | 'methods' | 'query' | 'jobs' | 'configurations'> {
  readonly hostName: string;
  readonly ports: HubPorts;
  /** PEM of the CA clients must trust (set `NODE_EXTRA_CA_CERTS` to `caPath`, or pass it as `ca`). */
  readonly caPem: string | undefined;
  readonly caPath: string | undefined;
  /** `HostName=...;SharedAccessKeyName=...;SharedAccessKey=...` for a policy (iothubowner by default). */
  connectionString(policyName?: string): string;
  /**
   * The Event Hubs-compatible endpoint's connection string for a policy with ServiceConnect (`service` by default),
   * as the portal shows it: `Endpoint=sb://{host}[:amqp port unless 5671]/;SharedAccessKeyName=…;SharedAccessKey=…;EntityPath={hub name}`.
   */
  eventHubConnectionString(policyName?: string): string;
  /** A device or module connection string with its primary key; `transport: 'ws'` names the HTTPS port. */
  deviceConnectionString(deviceId: string, options?: { moduleId?: string; transport?: 'mqtt' | 'ws' }): string;
  /** Creates a device (keys generated unless given) and returns it with its connection string. */
  createDevice(deviceId: string, options?: { primaryKey?: string; secondaryKey?: string; status?: 'enabled' | 'disabled'; tags?: JsonObject; desired?: JsonObject }): { device: DeviceIdentity; connectionString: string };
  getTwin(deviceId: string, moduleId?: string): Twin;
  /**
   * On a hub that shares its state through Redis (docs/scale-out.md): resolves once every write made
   * through this process so far is committed, and this process has applied every write acknowledged
   * anywhere before the call. The synchronous methods here (`createDevice`, `updateTwin`, …) change this
   * process at once and commit in the background; await this before expecting another process to see
   * them. Resolves at once on one process.
   */
  settled(): Promise<void>;
  /** A service-side twin patch (tags and/or desired), as `PATCH /twins/{id}` does it, refused as it refuses a bad body. */
  updateTwin(deviceId: string, patch: { tags?: JsonObject; properties?: { desired?: JsonObject } }, options?: { moduleId?: string; etag?: string }): Twin;
  /** A direct method call, as `POST /twins/{id}/methods` makes it, refused as it refuses a bad body. */
  invokeMethod(deviceId: string, request: { methodName: string; payload?: unknown; responseTimeoutInSeconds?: number; connectTimeoutInSeconds?: number }, moduleId?: string): Promise<MethodResult>;
  /**
   * Cloud-to-device messages without an AMQP client (docs/messaging.md), as `azure-iothub`'s
   * `Client.send` enqueues them:
   * - `send(deviceId, { body, messageId?, correlationId?, userId?, expiryTimeUtc?, contentType?,
   *   contentEncoding?, ack?, properties? })` enqueues one and returns it with its sequence number;
   *   a connected MQTT device subscribed to C2D gets it at once, an HTTPS device on its next poll.
   *   Refused as the service refuses it: 404 DeviceNotFound, 403004 DeviceMaximumQueueDepthExceeded
   *   (50 pending), 413 MessageTooLarge (64 KB), 400 ArgumentInvalid (a bad message, an expiry in the past).
   * - `pending(deviceId)`: the device's queue (Enqueued and locked, with `lockedUntilMs`), in sequence order.
   * - `purge(deviceId)`: empties it, as `DELETE /devices/{id}/commands` does, returning how many were purged.
   * Both are 404 DeviceNotFound for an unknown device.
   */
  readonly c2d: {
    send(deviceId: string, message: C2dSendRequest): C2dMessage;
    pending(deviceId: string): Array<C2dMessage & { lockedUntilMs?: number }>;
    purge(deviceId: string): number;
  };
  /** Telemetry the Event Hubs-compatible endpoint still holds, oldest first (bounded by `telemetryBufferSize` events, `telemetryBufferBytes` and `eventHub.retentionMs`). */
  telemetry(filter?: { deviceId?: string }): TelemetryMessage[];
  /**
   * The Event Hubs-compatible endpoint's log as `@azure/event-hubs` readers see it (docs/messaging.md):
   * `retained()` lists what it holds, `onAppend()` tells of each new event, `partitionInfo()` and
   * `read()` are what the AMQP plane serves.
   */
  readonly eventHub: EventHubView;
  /**
   * The Event Hubs-compatible endpoint's consumer groups, managed at run time as
   * `az iot hub consumer-group create|list|show|delete` does on Azure (and `/emulator/eventhub/consumergroups`):
   * - `list()`: `$Default` first, then the configured (`eventHub.consumerGroups`) and created ones.
   * - `create(name)`: adds one and returns its name; 409 Conflict when it exists in any case, 400
   *   ArgumentInvalid unless it is 1 to 50 letters, digits, `.`, `-` or `_`.
   * - `delete(name)`: removes one (any case) and detaches its readers with `amqp:not-found`; 404 NotFound
   *   when there is none, 400 for `$Default`.
   * A reset brings back the configured set.
   */
  readonly consumerGroups: {
    list(): string[];
    create(name: string): string;
    delete(name: string): void;
  };
  /** What crossed the planes (bounded by `trafficBufferSize` records and `trafficBufferBytes`), oldest first: as `GET /emulator/traffic` gives it. */
  traffic(filter?: TrafficFilter): TrafficRecord[];
  /** How many records the traffic bound dropped since the hub started or was reset. */
  trafficDropped(): number;
  /** Identities connected right now. */
  connectedDevices(): string[];
  /** The topic filters a connected device (or module) is subscribed to; empty when offline. */
  subscriptions(deviceId: string, moduleId?: string): string[];
  /** Injected faults (docs/testing-with-hubemu.md): `add()` parses a definition as `POST /emulator/faults` does, `clear()` removes one or all and releases paused notifications. */
  readonly faults: Pick<FaultService, 'add' | 'list' | 'clear'>;
  /** Drops a device's connection on every plane (as `POST /emulator/devices/{id}/disconnect`); false when it was offline, 404 DeviceNotFound when it does not exist. */
  disconnectDevice(deviceId: string, moduleId?: string): boolean;
  /** The web dashboard: off, not built, or ready with `loginUrl()` minting a one-time login link (docs/dashboard.md). */
  readonly dashboard: DashboardStatus;
  /**
   * The hub's time: `now()`, `mode`, and with a test clock (`clock: 'manual'`) `set(time)` and
   * `advance(ms | 'PT5M')`, which resolve once every timer due by the new time ran (docs/testing-with-hubemu.md).
   */
  readonly clock: ClockControl;
  /** Closes every connection, clears injected faults, empties the registry, twins, jobs, configurations and buffers, then applies the seed again (as `POST /emulator/reset`). */
  reset(): Promise<ResetResult>;
  stop(): Promise<void>;
}

/** The read side of the event log the embedded API offers. */
export type EventHubView = Pick<EventLog, 'name' | 'partitionCount' | 'partitionOf' | 'partitionInfo' | 'startOf' | 'read' | 'onAppend' | 'retained' | 'hasConsumerGroup'>;

export interface HubParts {
  core: HubCore;
  mqtt: MqttPlane;
  controls: Controls;
  ports: HubPorts;
  tls: TlsMaterial;
  clock: ClockControl;
  dashboard: DashboardStatus;
  /** Stops listeners and planes and closes the store. */
  stop: () => Promise<void>;
}

/** The embedded API over a running hub's parts: what `startHub()` returns. */
export function hubFacade({ core, mqtt, controls, ports, tls, clock, dashboard, stop }: HubParts): Hub {
  const { options, registry, twins, methods, table } = core;
  const hostWithPort = (port: number, defaultPort: number): string => (port === defaultPort ? options.hostName : `${options.hostName}:${port}`);

  const hub: Hub = {
    options,
    hostName: options.hostName,
    ports,
    caPem: tls.caPem,
    caPath: tls.caPath,
    events: core.events,
    registry,
    twins,
    methods,
    query: core.query,
    jobs: core.jobs,
    configurations: core.configurations,
    connectionString(policyName = 'iothubowner') {
      const policy = findPolicy(options.policies, policyName);
      if (!policy) throw new HubError('ArgumentInvalid', `No shared access policy named '${policyName}'.`);
      return buildConnectionString({ HostName: hostWithPort(ports.https, 443), SharedAccessKeyName: policy.name, SharedAccessKey: policy.primaryKey });
    },
    eventHubConnectionString(policyName = 'service') {
      const policy = findPolicy(options.policies, policyName);
      if (!policy) throw new HubError('ArgumentInvalid', `No shared access policy named '${policyName}'.`);
      return eventHubConnectionString(buildConnectionString({ HostName: options.hostName, SharedAccessKeyName: policy.name, SharedAccessKey: policy.primaryKey }), ports.amqp);
    },
    deviceConnectionString(deviceId, opts = {}) {
      const entry = table.get(identityKey(deviceId, opts.moduleId));
      if (!entry) throw new HubError(opts.moduleId === undefined ? 'DeviceNotFound' : 'ModuleNotFound', identityKey(deviceId, opts.moduleId));
      if (!entry.auth.primaryKey) throw new HubError('ArgumentInvalid', `${identityKey(deviceId, opts.moduleId)} does not use SAS keys.`);
      const host = opts.transport === 'ws' ? hostWithPort(ports.https, 443) : hostWithPort(ports.mqtt, 8883);
      return buildConnectionString({ HostName: host, DeviceId: deviceId, ...(opts.moduleId ? { ModuleId: opts.moduleId } : {}), SharedAccessKey: entry.auth.primaryKey });
    },
    createDevice(deviceId, opts = {}) {
      registry.createDevice(deviceId, {
        ...(opts.status ? { status: opts.status } : {}),
        ...(opts.primaryKey || opts.secondaryKey ? { authentication: { type: 'sas', symmetricKey: { primaryKey: opts.primaryKey ?? '', secondaryKey: opts.secondaryKey ?? '' } } } : {}),
      });
      if (opts.tags || opts.desired) {
        const body = parseServiceTwinBody({ ...(opts.tags ? { tags: opts.tags } : {}), ...(opts.desired ? { properties: { desired: opts.desired } } : {}) }, 'patch');
        twins.updateTwin(deviceId, undefined, body, 'patch', { source: 'service' });
      }
      return { device: registry.getDevice(deviceId), connectionString: hub.deviceConnectionString(deviceId) };
    },
    getTwin: (deviceId, moduleId) => structuredClone(twins.getTwin(deviceId, moduleId)),
    async settled() {
      await core.store.settled();
      await core.store.fence();
    },
    updateTwin: (deviceId, patch, opts = {}) =>
      structuredClone(twins.updateTwin(deviceId, opts.moduleId, parseServiceTwinBody(patch, 'patch'), 'patch', { source: 'service', ...(opts.etag ? { ifMatch: `"${opts.etag}"` } : {}) })),
    invokeMethod: (deviceId, request, moduleId) => methods.invoke(deviceId, moduleId, parseMethodRequest(request)),
    c2d: {
      send: (deviceId, message) => {
        const input = parseC2dSendRequest(deviceId, message);
        // Set by the unit's first run, which is synchronous.
        let sent = undefined as unknown as C2dMessage;
        const committed = core.store.transaction(() => (sent = core.c2d.enqueue(input)));
        // On a cluster the message commits in the background (`settled()` waits for it); a send another process overtook runs again.
        if (committed instanceof Promise) committed.catch((error: unknown) => core.logger.warn({ deviceId, err: errorText(error) }, 'C2D send failed'));
        return { ...sent, properties: { ...sent.properties }, body: Buffer.from(sent.body) };
      },
      pending: (deviceId) => core.c2d.pending(deviceId),
      purge: (deviceId) => core.c2d.purge(deviceId),
    },
    telemetry: (filter = {}) =>
      core.eventHub
        .retained()
        .filter((e) => e.messageSource === 'Telemetry' && (filter.deviceId === undefined || e.deviceId === filter.deviceId))
        .map(telemetryMessageOf),
    eventHub: core.eventHub,
    consumerGroups: {
      list: () => core.consumerGroups.listConsumerGroups(),
      create: (name) => core.consumerGroups.createConsumerGroup(name),
      delete: (name) => core.consumerGroups.deleteConsumerGroup(name),
    },
    // This process's record: on a hub of several processes, `GET /emulator/traffic` gives all of them.
    traffic: (filter = {}) => core.traffic.list(parseTrafficFilter(filter)).records,
    trafficDropped: () => core.traffic.dropped,
    clock,
    dashboard,
    connectedDevices: () => mqtt.connected(),
    subscriptions: (deviceId, moduleId) => mqtt.subscriptions(identityKey(deviceId, moduleId)),
    faults: core.faults,
    disconnectDevice: (deviceId, moduleId) => controls.disconnect(deviceId, moduleId),
    reset: () => controls.reset(),
    stop,
  };
  return hub;
}
