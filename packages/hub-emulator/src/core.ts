import { randomBytes } from 'node:crypto';
import { hubNameOf, identityKey, silentLogger, toHubClock, type Clock, type HubClock, type DeviceJobRecord, type HubOptions, type Logger } from '@hubemu/shared';
import { SasAuthenticator } from './auth/sas-authenticator.js';
import { C2dService } from './c2d/c2d-service.js';
import { ConfigurationRepository } from './configurations/configuration-repository.js';
import type { StoredConfiguration, TwinLedger } from './configurations/configuration-schemas.js';
import { ConfigurationService, type ConfigurationServiceOptions } from './configurations/configuration-service.js';
import type { ClusterMembership } from './cluster/process-registry.js';
import { followReplica } from './core-replica.js';
import { DeviceLinks } from './device-link.js';
import { TrafficRecorder } from './control/traffic-record.js';
import { Admission } from './faults/admission.js';
import { FaultService } from './faults/fault-service.js';
import { FaultTable } from './faults/fault-table.js';
import { TierThrottle, tierThrottles } from './faults/tier-throttles.js';
import { HubEvents, type TelemetryMessage } from './events.js';
import { EventLog, type NewHubEvent } from './event-hub/event-log.js';
import type { ConsumerGroups } from './control/consumer-groups-router.js';
import { sharedConsumerGroups } from './event-hub/consumer-groups.js';
import type { SharedEventLog } from './event-hub/event-log-shared.js';
import { attachMessageSources } from './event-hub/message-sources.js';
import { telemetryEvent } from './event-hub/telemetry-event.js';
import { JobRepository } from './jobs/job-repository.js';
import type { StoredJob } from './jobs/job-schemas.js';
import { JobService } from './jobs/job-service.js';
import { resolveServiceLimits } from './jobs/service-limits.js';
import { MethodService } from './methods/method-service.js';
import { QueryService } from './query-service.js';
import type { DeviceEntry, Presence } from './registry/device-entry.js';
import { DeviceTable } from './registry/device-table.js';
import { RegistryService } from './registry/registry-service.js';
import { applySeed, parseSeed, withSeedPolicies, type Seed } from './seed.js';
import type { Store } from './store/collection.js';
import { TwinService } from './twin/twin-service.js';
import { errorText } from './store/log-writes.js';

/** What the core needs from its host: options, a store and (optionally) a clock, a logger and an event stream. */
export interface CoreDeps {
  options: HubOptions;
  store: Store;
  clock?: Clock;
  logger?: Logger;
  events?: HubEvents;
  /** The cluster this process belongs to, on a store shared through Redis (docs/scale-out.md); without it the process runs everything. */
  cluster?: ClusterMembership;
}

/**
 * The hub without I/O: registry, twins, queries, methods, jobs, configurations, the event log of the
 * Event Hubs-compatible endpoint and the traffic record, over a store and a clock. Planes (MQTT, REST) are adapters around it; they
 * reach connected identities through `links`, which each device plane registers into.
 */
export interface HubCore {
  readonly options: HubOptions;
  /** The hub's time and its timers: the system clock, or a test clock (docs/testing-with-hubemu.md). */
  readonly clock: HubClock;
  readonly logger: Logger;
  readonly events: HubEvents;
  readonly store: Store;
  readonly table: DeviceTable;
  readonly auth: SasAuthenticator;
  readonly links: DeviceLinks;
  readonly registry: RegistryService;
  readonly twins: TwinService;
  readonly methods: MethodService;
  readonly query: QueryService;
  readonly jobs: JobService;
  readonly configurations: ConfigurationService;
  /** Cloud-to-device queues and feedback (docs/messaging.md): what the AMQP plane sends into, what device planes deliver. */
  readonly c2d: C2dService;
  /** The seam every plane asks before carrying out an operation: injected faults, then the tier's throttles. */
  readonly admission: Admission;
  /** Injected faults: add, list, clear (docs/testing-with-hubemu.md). */
  readonly faults: FaultService;
  /**
   * The Event Hubs-compatible endpoint's log: the one record of telemetry (and of the message sources
   * `eventHub.messageSources` enables), bounded by `telemetryBufferSize` events, `telemetryBufferBytes`
   * and `eventHub.retentionMs`. The AMQP plane serves it; `hub.telemetry()` reads it.
   */
  readonly eventHub: EventLog;
  /** The log's consumer groups as the control routes and the embedded API change them (shared by the processes of a cluster). */
  readonly consumerGroups: ConsumerGroups;
  /**
   * What a device plane hands the hub for each device-to-cloud message: raised as the `telemetry` event
   * and appended to the Event Hubs-compatible log. On a hub of several processes, a promise that settles
   * once the shared log holds it (the plane acknowledges then; rejected with 503 when Redis is away).
   */
  acceptTelemetry(message: TelemetryMessage): void | Promise<void>;
  /** Hands the log to the one the processes of a cluster share (docs/scale-out.md): appends go there, and it feeds `eventHub`. */
  shareEventLog(shared: Pick<SharedEventLog, 'append' | 'clear'>): void;
  /** What crossed the planes, fed by the `request` events (bounded by `trafficBufferSize` records and `trafficBufferBytes`). */
  readonly traffic: TrafficRecorder;
  /** Settles once what the core writes at start (the seed, the query secret) is stored; rejects when it could not be. */
  readonly ready: Promise<void>;
  /** Starts the background work (configuration passes). */
  start(): void;
  /** Empties the state, clears injected faults and applies the seed again, returning how many devices it created; planes drop their connections first. Throws (and changes nothing) when the store cannot be emptied. */
  reset(): number;
  /** Stops background work and pending calls; the store stays open (the host closes it). */
  stop(): void;
}

/** The secret that signs continuation tokens, kept in the store so tokens stay valid across restarts. */
function querySecret(store: Store): () => string {
  let unsaved: string | undefined;
  return () => {
    const meta = store.collection<string>('meta');
    const saved = meta.get('querySecret');
    if (saved) return saved;
    unsaved ??= randomBytes(32).toString('base64');
    try {
      meta.put('querySecret', unsaved);
    } catch {
      // A query is a read: while the store refuses writes (reported by the store), the secret lives in memory.
    }
    return unsaved;
  };
}

/** The configuration service over the core's store, queries and twins (also used alone by tests, as after a restart). */
export function configurationService(
  core: Pick<HubCore, 'store' | 'query' | 'table' | 'twins' | 'clock' | 'logger'> & { leading?: () => boolean },
  options: ConfigurationServiceOptions,
): ConfigurationService {
  const { store, table, twins } = core;
  return new ConfigurationService({
    repository: new ConfigurationRepository(
      store.collection<StoredConfiguration>('configurations'),
      store.collection<TwinLedger>('configurationLedger'),
      store.collection<string>('meta'),
    ),
    queries: core.query,
    twins: { twin: (key) => table.twin(key), write: (d, m, w, o) => twins.write(d, m, w, o), setStatuses: (d, m, s) => twins.setConfigurations(d, m, s) },
    clock: core.clock,
    logger: core.logger,
    options,
    ...(store.replicated ? { cluster: { unit: <R>(fn: () => R) => store.transaction(fn), leading: core.leading ?? (() => true) } } : {}),
  });
}

export function createCore(deps: CoreDeps): HubCore {
  const { store } = deps;
  const seed: Seed | undefined = deps.options.seed === undefined ? undefined : parseSeed(deps.options.seed);
  // The seed's policies are the hub's from here on: authentication, connection strings, the dashboard.
  const options = { ...deps.options, policies: withSeedPolicies(deps.options.policies, seed) };
  const clock = deps.clock ? toHubClock(deps.clock) : options.clock;
  const logger = deps.logger ?? options.logger ?? silentLogger;
  const events = deps.events ?? new HubEvents();

  const { cluster } = deps;
  const leading = (): boolean => cluster?.isLeader ?? true;
  /** A unit nobody waits for: a failure is logged. */
  const inBackground = (fn: () => void, what: string): void => {
    const done = store.transaction(fn);
    if (done instanceof Promise) done.catch((error: unknown) => logger.error({ err: errorText(error) }, `${what} failed`));
  };
  const table = new DeviceTable(store.collection<DeviceEntry>('identities'), clock, store.collection<Presence>('presence'), cluster?.processId);
  const links = new DeviceLinks(clock);
  const auth = new SasAuthenticator(options.hostName, options.policies, (key) => table.get(key), clock);
  const registry = new RegistryService(table, clock, events, (deviceId, moduleId) => void links.disconnect(identityKey(deviceId, moduleId)));
  const twins = new TwinService(table, clock, events, { rejectArrays: options.rejectArrays });
  const methods = new MethodService(table, links, events, clock);
  const secret = querySecret(store);
  const query = new QueryService(table, { loose: options.queryLoose, secret });
  const limits = resolveServiceLimits(options);
  const jobs = new JobService({
    repository: new JobRepository(store.collection<StoredJob>('jobs'), store.collection<DeviceJobRecord>('deviceJobs')),
    targets: query,
    // A job's twin write is a unit of its own: on a shared store it runs again if a device's report overtook it.
    twins: store.replicated ? { write: (d, m, w, o) => store.transaction(() => twins.write(d, m, w, o)) } : twins,
    methods,
    clock,
    logger,
    options: { maxConcurrentJobs: limits.maxConcurrentJobs, deviceOperationsPerSecond: limits.deviceOperationsPerSecond, leading: leading(), stillLeading: leading },
  });
  query.setDeviceJobsSource(() => jobs.deviceJobRecords());
  const configurations = configurationService({ store, query, table, twins, clock, logger, leading }, { intervalMs: options.configurationIntervalMs, maxConfigurations: limits.maxConfigurations });
  // One process of a cluster runs configuration passes and jobs, and marks Disconnected the devices of a process that died: its leader.
  cluster?.onLeaderChange((lead) => {
    if (lead) {
      jobs.lead();
      configurations.start();
    } else {
      jobs.follow();
      configurations.stop();
    }
  });
  // Devices whose process died (killed, or stopped with the whole cluster and never back) are marked Disconnected by the leader.
  cluster?.onRound(() => {
    if (!cluster.isLeader) return;
    for (const [key, gone] of table.presence.heldByGone((owner) => cluster.isGone(owner))) inBackground(() => table.presence.ownerGone(key, gone), "marking a dead process's device Disconnected");
  });

  const c2d = new C2dService({ table, links, clock, store, options: options.c2d, leading });
  cluster?.onLeaderChange(() => c2d.leadershipChanged());

  const faultTable = new FaultTable();
  const admission = new Admission(faultTable, options.tier ? new TierThrottle(tierThrottles(options.tier, options.tierUnits)) : undefined, clock, events);
  const faults = new FaultService(faultTable, clock, links);

  const eventHub = new EventLog({
    name: hubNameOf(options.hostName),
    partitions: options.eventHub.partitions,
    consumerGroups: options.eventHub.consumerGroups,
    maxEvents: options.telemetryBufferSize,
    maxBytes: options.telemetryBufferBytes,
    retentionMs: options.eventHub.retentionMs,
    clock,
    logger,
  });
  let sharedLog: Pick<SharedEventLog, 'append' | 'clear'> | undefined;
  /** Into the log, or on a cluster the log the processes share: then a promise of the event stored. */
  const appendEvent = (event: NewHubEvent): void | Promise<void> => (sharedLog ? sharedLog.append(event) : void eventHub.append(event));
  const acceptTelemetry = (message: TelemetryMessage): void | Promise<void> => {
    events.emit('telemetry', message);
    // A plane that knows the sender's generation and model id says so; otherwise the registry does.
    const entry = message.generationId === undefined ? table.get(identityKey(message.deviceId, message.moduleId)) : undefined;
    return appendEvent(telemetryEvent(message, entry ? { generationId: entry.generationId, ...(entry.modelId ? { modelId: entry.modelId } : {}) } : {}));
  };
  const consumerGroups = sharedConsumerGroups(eventHub, store);
  attachMessageSources({
    append: (event) => {
      appendEvent(event)?.catch((error: unknown) => logger.warn({ deviceId: event.deviceId, source: event.messageSource, err: errorText(error) }, 'an event could not be stored'));
    },
    events,
    hubName: eventHub.name,
    clock,
    sources: options.eventHub.messageSources,
    twin: (ref) => table.twin(identityKey(ref.deviceId, ref.moduleId)),
  });
  const traffic = new TrafficRecorder(events, { capacity: options.trafficBufferSize, maxBytes: options.trafficBufferBytes });

  /**
   * Empties what this process holds of the hub's state, for a reset here or through another process
   * (the store's side is the caller's). `afterPresence` runs once presence is gone and before the rest.
   */
  const forgetHeld = (afterPresence?: () => void): void => {
    table.cleared();
    table.presence.clear();
    afterPresence?.();
    query.reset();
    jobs.reset();
    configurations.reset();
    c2d.reset();
    eventHub.clear();
    eventHub.resetConsumerGroups();
  };

  followReplica({
    store,
    table,
    events,
    links,
    jobStored: (job) => jobs.jobStored(job),
    configurationsChanged: () => void (leading() ? configurations.evaluateNow() : undefined),
    // Another process reset the hub: what this one holds goes too (presence first, so the dropped connections write nothing).
    cleared: () =>
      forgetHeld(() => {
        for (const key of links.connectedKeys()) links.disconnectHere(key);
      }),
  });

  // Units: of processes starting together on one shared store, one seeds it and one makes the query secret.
  const seeded = seed && store.transaction(() => (table.size === 0 ? applySeed(seed, registry, twins, configurations) : 0));
  const secretMade = store.replicated ? store.transaction(secret) : undefined;
  const ready = Promise.all([seeded, secretMade]).then(() => undefined);

  const stop = (): void => {
    jobs.stop();
    configurations.stop();
    methods.cancelAll();
    c2d.stop();
  };

  return {
    options,
    clock,
    logger,
    events,
    store,
    table,
    auth,
    links,
    registry,
    twins,
    methods,
    query,
    jobs,
    configurations,
    c2d,
    admission,
    faults,
    eventHub,
    consumerGroups,
    acceptTelemetry,
    shareEventLog: (shared) => {
      sharedLog = shared;
    },
    traffic,
    ready,
    start: () => {
      if (leading()) configurations.start();
      else configurations.stop();
    },
    reset() {
      stop();
      try {
        store.clear();
      } catch (error) {
        // The store could not write an empty log (ServiceUnavailable): nothing was emptied, so carry on as before.
        jobs.reset();
        configurations.start();
        throw error;
      }
      forgetHeld();
      sharedLog?.clear().catch((error: unknown) => logger.warn({ err: errorText(error) }, 'the shared event log could not be emptied'));
      traffic.clear();
      faults.clear();
      const devices = seed ? applySeed(seed, registry, twins, configurations) : 0;
      configurations.start();
      return devices;
    },
    stop,
  };
}
