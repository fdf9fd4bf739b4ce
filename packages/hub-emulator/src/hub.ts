import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Aedes } from 'aedes';
import {
  buildConnectionString,
  findPolicy,
  HubError,
  identityKey,
  systemClock,
  topics,
  type DeviceIdentity,
  type DeviceJobRecord,
  type JsonObject,
  type Twin,
} from '@hubemu/shared';
import { SasAuthenticator } from './auth/sas-authenticator.js';
import { loadOrCreateCertificates, type TlsMaterial } from './certs.js';
import { HubEvents, type MqttTrafficRecord, type TelemetryMessage } from './events.js';
import { createApp } from './http/app.js';
import { mountServiceApi } from './http/rest-api.js';
import { startListeners, type HubPorts, type Listeners } from './listeners.js';
import { silentLogger } from './logger.js';
import { MethodService, type MethodResult } from './methods/method-service.js';
import { createBroker } from './mqtt/broker.js';
import { DeviceRouter } from './mqtt/device-router.js';
import { DeviceSessions, type Session } from './mqtt/device-sessions.js';
import { parseHubOptions, type HubOptions, type HubOptionsInput } from './options.js';
import type { DeviceEntry, Presence } from './registry/device-entry.js';
import { DeviceTable } from './registry/device-table.js';
import { PresenceTracker } from './registry/presence.js';
import { RegistryService } from './registry/registry-service.js';
import { RingBuffer } from './ring-buffer.js';
import { applySeed, parseSeed } from './seed.js';
import type { Store } from './store/collection.js';
import { DurableStore } from './store/durable-store.js';
import { MemoryStore } from './store/memory-store.js';
import { HUB_RECORD_SCHEMAS } from './store/record-schemas.js';
import type { StoreNotice } from './store/store-notice.js';
import { TwinService } from './twin/twin-service.js';
import { QueryService } from './query-service.js';
import { ConfigurationRepository } from './configurations/configuration-repository.js';
import { ConfigurationService } from './configurations/configuration-service.js';
import type { StoredConfiguration, TwinLedger } from './configurations/configuration-schemas.js';
import { configurationsRouter } from './http/configurations-router.js';
import { jobsRouter } from './http/jobs-router.js';
import { JobRepository } from './jobs/job-repository.js';
import type { StoredJob } from './jobs/job-schemas.js';
import { JobService } from './jobs/job-service.js';
import { resolveServiceLimits } from './jobs/service-limits.js';

export interface TrafficFilter {
  deviceId?: string;
  moduleId?: string;
  direction?: 'in' | 'out';
}

/** A running hub, as `startHub()` returns it. */
export interface Hub {
  readonly options: HubOptions;
  readonly hostName: string;
  readonly ports: HubPorts;
  /** PEM of the CA clients must trust (set `NODE_EXTRA_CA_CERTS` to `caPath`, or pass it as `ca`). */
  readonly caPem: string | undefined;
  readonly caPath: string | undefined;
  readonly events: HubEvents;
  readonly registry: RegistryService;
  readonly twins: TwinService;
  readonly methods: MethodService;
  readonly query: QueryService;
  /** Jobs v2: scheduled twin updates and direct methods on many devices (docs/jobs.md). */
  readonly jobs: JobService;
  /** Automatic device configurations (docs/configurations.md). */
  readonly configurations: ConfigurationService;
  /** `HostName=...;SharedAccessKeyName=...;SharedAccessKey=...` for a policy (iothubowner by default). */
  connectionString(policyName?: string): string;
  /** A device or module connection string with its primary key; `transport: 'ws'` names the HTTPS port. */
  deviceConnectionString(deviceId: string, options?: { moduleId?: string; transport?: 'mqtt' | 'ws' }): string;
  /** Creates a device (keys generated unless given) and returns it with its connection string. */
  createDevice(deviceId: string, options?: { primaryKey?: string; secondaryKey?: string; status?: 'enabled' | 'disabled'; tags?: JsonObject; desired?: JsonObject }): { device: DeviceIdentity; connectionString: string };
  getTwin(deviceId: string, moduleId?: string): Twin;
  /** A service-side twin patch (tags and/or desired), as `PATCH /twins/{id}` does it. */
  updateTwin(deviceId: string, patch: { tags?: JsonObject; properties?: { desired?: JsonObject } }, options?: { moduleId?: string; etag?: string }): Twin;
  invokeMethod(deviceId: string, request: { methodName: string; payload?: unknown; responseTimeoutInSeconds?: number; connectTimeoutInSeconds?: number }, moduleId?: string): Promise<MethodResult>;
  /** Telemetry received, oldest first (bounded by `telemetryBufferSize`). */
  telemetry(filter?: { deviceId?: string }): TelemetryMessage[];
  /** What went over the wire (bounded by `trafficBufferSize`), oldest first. */
  traffic(filter?: TrafficFilter): MqttTrafficRecord[];
  /** Identities connected right now. */
  connectedDevices(): string[];
  /** The topic filters a connected device (or module) is subscribed to; empty when offline. */
  subscriptions(deviceId: string, moduleId?: string): string[];
  /** Drops a device's connection (fault injection). */
  disconnectDevice(deviceId: string, moduleId?: string): boolean;
  /** Empties the registry, twins, buffers and connections, then applies the seed again. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a hub: the composition root, where every layer is wired. */
export async function startHub(input: HubOptionsInput = {}): Promise<Hub> {
  const options = parseHubOptions(input);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const events = new HubEvents();
  const dataDir = options.inMemory ? undefined : options.dataDir;

  const tls: TlsMaterial = options.tls ? { key: options.tls.key, cert: options.tls.cert, ...(options.tls.ca ? { caPem: options.tls.ca } : {}) } : loadOrCreateCertificates(options.hostName, options.certDir ?? (dataDir && join(dataDir, 'certs')));
  const onNotice = (notice: StoreNotice): void => {
    logger[notice.level]({ file: notice.file, ...(notice.line === undefined ? {} : { line: notice.line }), kind: notice.kind }, notice.message);
    events.emit('storeNotice', notice);
  };
  const store: Store = dataDir ? new DurableStore(join(dataDir, 'state'), { fsync: options.fsync, repair: options.repairState, schemas: HUB_RECORD_SCHEMAS, onNotice }) : new MemoryStore();

  const sessions = new DeviceSessions();
  let table: DeviceTable;
  const presence = new PresenceTracker(clock, (key) => table.changed(key), store.collection<Presence>('presence'));
  table = new DeviceTable(store.collection<DeviceEntry>('identities'), presence);

  const telemetry = new RingBuffer<TelemetryMessage>(options.telemetryBufferSize);
  const traffic = new RingBuffer<MqttTrafficRecord>(options.trafficBufferSize);

  let sendToSession: (session: Session, topic: string, payload: string | Buffer) => void = () => {};
  const disconnect = (deviceId: string, moduleId?: string): boolean => {
    const session = sessions.get(identityKey(deviceId, moduleId));
    if (!session) return false;
    session.client.close();
    return true;
  };

  const auth = new SasAuthenticator(options.hostName, options.policies, (key) => table.get(key), clock);
  const registry = new RegistryService(table, clock, events, (d, m) => void disconnect(d, m));
  const twins = new TwinService(table, clock, events, { rejectArrays: options.rejectArrays });
  const methods = new MethodService(table, sessions, (s, t, p) => sendToSession(s, t, p), events, clock);
  // Continuation tokens are signed with a secret kept in the store, so they stay valid across restarts.
  let unsavedSecret: string | undefined;
  const querySecret = (): string => {
    const meta = store.collection<string>('meta');
    const saved = meta.get('querySecret');
    if (saved) return saved;
    unsavedSecret ??= randomBytes(32).toString('base64');
    try {
      meta.put('querySecret', unsavedSecret);
    } catch {
      // A query is a read: while the store refuses writes (reported by the store), the secret lives in memory.
    }
    return unsavedSecret;
  };
  const query = new QueryService(table, { loose: options.queryLoose, secret: querySecret });
  const limits = resolveServiceLimits(options);
  const jobs = new JobService({
    repository: new JobRepository(store.collection<StoredJob>('jobs'), store.collection<DeviceJobRecord>('deviceJobs')),
    targets: query,
    twins,
    methods,
    clock,
    logger,
    options: { maxConcurrentJobs: limits.maxConcurrentJobs, deviceOperationsPerSecond: limits.deviceOperationsPerSecond },
  });
  query.setDeviceJobsSource(() => jobs.deviceJobRecords());
  const configurations = new ConfigurationService({
    repository: new ConfigurationRepository(
      store.collection<StoredConfiguration>('configurations'),
      store.collection<TwinLedger>('configurationLedger'),
      store.collection<string>('meta'),
    ),
    queries: query,
    twins: { twin: (key) => table.twin(key), write: (d, m, w, o) => twins.write(d, m, w, o), setStatuses: (d, m, s) => twins.setConfigurations(d, m, s) },
    clock,
    logger,
    options: { intervalMs: options.configurationIntervalMs, maxConfigurations: limits.maxConfigurations },
  });

  // Desired notifications, whatever wrote the change (reference 1.6): only to a connected, subscribed device.
  events.on('twinUpdated', (event) => {
    if (event.desired === undefined) return;
    const key = identityKey(event.deviceId, event.moduleId);
    if (!sessions.isSubscribed(key, 'desiredPatches')) return;
    const session = sessions.get(key) as Session;
    sendToSession(session, topics.desiredPatch(event.desiredVersion), JSON.stringify({ ...event.desired, $version: event.desiredVersion }));
  });

  let router: DeviceRouter;
  const { broker, handle, send } = await createBroker({
    hostName: options.hostName,
    auth,
    table,
    sessions,
    events,
    traffic,
    clock,
    logger,
    router: () => router,
    onConnected: (session) => {
      presence.connected(session.deviceId, session.moduleId);
      logger.info({ deviceId: session.deviceId, moduleId: session.moduleId, transport: session.transport }, 'device connected');
      events.emit('deviceConnected', { deviceId: session.deviceId, ...(session.moduleId === undefined ? {} : { moduleId: session.moduleId }), transport: session.transport });
    },
    onDisconnected: (session) => {
      presence.disconnected(session.deviceId, session.moduleId);
      methods.onDisconnect(session.key);
      logger.info({ deviceId: session.deviceId, moduleId: session.moduleId }, 'device disconnected');
      events.emit('deviceDisconnected', { deviceId: session.deviceId, ...(session.moduleId === undefined ? {} : { moduleId: session.moduleId }), reason: 'closed' });
    },
  });
  sendToSession = send;
  // Like the real hub, a device that has not subscribed to $iothub/twin/res/# gets no answers (its requests are still carried out).
  const sendTwinResponse: typeof send = (session, topic, payload) => {
    if (sessions.isSubscribed(session.key, 'twinResponses')) send(session, topic, payload);
  };
  router = new DeviceRouter(twins, methods, events, telemetry, sendTwinResponse, clock, logger);

  const seed = options.seed === undefined ? undefined : parseSeed(options.seed);
  if (seed && table.size === 0) applySeed(seed, registry, twins);

  let ready = false;
  const app = createApp({ ready: () => ready, mountRoutes: (a) => mountServiceApi(a, { auth, registry, twins, methods, query, clock, extraRouters: [jobsRouter({ auth, jobs }), configurationsRouter({ auth, configurations })] }) });
  let listeners: Listeners;
  try {
    listeners = await startListeners(options, tls, app, handle);
  } catch (error) {
    jobs.stop();
    await closeBroker(broker);
    store.close();
    throw error;
  }
  const { ports } = listeners;
  ready = true;
  configurations.start();

  const hostWithPort = (port: number, defaultPort: number): string => (port === defaultPort ? options.hostName : `${options.hostName}:${port}`);

  const hub: Hub = {
    options,
    hostName: options.hostName,
    ports,
    caPem: tls.caPem,
    caPath: tls.caPath,
    events,
    registry,
    twins,
    methods,
    query,
    jobs,
    configurations,
    connectionString(policyName = 'iothubowner') {
      const policy = findPolicy(options.policies, policyName);
      if (!policy) throw new HubError('ArgumentInvalid', `No shared access policy named '${policyName}'.`);
      return buildConnectionString({ HostName: hostWithPort(ports.https, 443), SharedAccessKeyName: policy.name, SharedAccessKey: policy.primaryKey });
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
        twins.updateTwin(deviceId, undefined, { ...(opts.tags ? { tags: opts.tags } : {}), ...(opts.desired ? { properties: { desired: opts.desired } } : {}) }, 'patch', { source: 'service' });
      }
      return { device: registry.getDevice(deviceId), connectionString: hub.deviceConnectionString(deviceId) };
    },
    getTwin: (deviceId, moduleId) => structuredClone(twins.getTwin(deviceId, moduleId)),
    updateTwin: (deviceId, patch, opts = {}) =>
      structuredClone(twins.updateTwin(deviceId, opts.moduleId, patch, 'patch', { source: 'service', ...(opts.etag ? { ifMatch: `"${opts.etag}"` } : {}) })),
    invokeMethod: (deviceId, request, moduleId) => methods.invoke(deviceId, moduleId, request),
    telemetry: (filter = {}) => telemetry.toArray().filter((m) => filter.deviceId === undefined || m.deviceId === filter.deviceId),
    traffic: (filter = {}) =>
      traffic
        .toArray()
        .filter(
          (r) =>
            (filter.deviceId === undefined || r.deviceId === filter.deviceId) &&
            (filter.moduleId === undefined || r.moduleId === filter.moduleId) &&
            (filter.direction === undefined || r.direction === filter.direction),
        ),
    connectedDevices: () => [...sessions.all()].map((s) => s.key),
    subscriptions: (deviceId, moduleId) => sessions.filters(identityKey(deviceId, moduleId)),
    disconnectDevice: (deviceId, moduleId) => disconnect(deviceId, moduleId),
    async reset() {
      jobs.stop();
      configurations.stop();
      methods.cancelAll();
      await Promise.all([...sessions.all()].map((s) => new Promise<void>((resolve) => s.client.close(() => resolve()))));
      try {
        store.clear();
      } catch (error) {
        // The store could not write an empty log (ServiceUnavailable): nothing was emptied, so carry on as before.
        jobs.reset();
        configurations.start();
        throw error;
      }
      table.cleared();
      query.reset();
      jobs.reset();
      configurations.reset();
      presence.clear();
      telemetry.clear();
      traffic.clear();
      if (seed) applySeed(seed, registry, twins);
      configurations.start();
    },
    async stop() {
      ready = false;
      jobs.stop();
      configurations.stop();
      methods.cancelAll();
      await closeBroker(broker);
      await listeners.close();
      store.close();
    },
  };
  return hub;
}

async function closeBroker(broker: Aedes): Promise<void> {
  await new Promise<void>((resolve) => broker.close(() => resolve()));
}
