import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { hubNameOf, parseHubOptions, silentLogger, type HubOptions, type HubOptionsInput, type Logger } from '@hubemu/shared';
import type { Express } from 'express';
import { loadOrCreateCertificates, type TlsMaterial } from './certs.js';
import { clockControl } from './control/clock-control.js';
import { clockRouter } from './control/clock-router.js';
import { createCore } from './core.js';
import { mountControlPlane } from './control/control-router.js';
import { controlRoutes } from './control/control-routes.js';
import { createControls, type Controls } from './control/controls.js';
import { dashboardRouter } from './dashboard/dashboard-routes.js';
import { dashboardStatus } from './dashboard/dashboard-status.js';
import { LoginTokens } from './dashboard/login-tokens.js';
import { locateDashboardFiles } from './dashboard/static-dir.js';
import { consumerGroupsRouter } from './control/consumer-groups-router.js';
import { faultsRouter } from './control/faults-router.js';
import { createApp } from './http/app.js';
import { mountServiceApi } from './http/rest-api.js';
import { hubFacade, type Hub } from './hub-facade.js';
import { startListeners, type Listeners } from './listeners.js';
import { createMqttPlane, type MqttPlane } from './mqtt/device-plane.js';
import { createAmqpPlane, type AmqpPlane } from './amqp/amqp-plane.js';
import type { Store } from './store/collection.js';
import { DurableStore } from './store/durable-store.js';
import { MemoryStore } from './store/memory-store.js';
import { RedisStore } from './store/redis/redis-store.js';
import { openClusterParts, type ClusterParts } from './cluster/cluster-parts.js';
import { ProcessRegistry } from './cluster/process-registry.js';
import { HUB_RECORD_SCHEMAS } from './store/record-schemas.js';
import type { StoreNotice } from './store/store-notice.js';
import { HubEvents } from './events.js';
import { readSeedFile } from './seed-file.js';

export type { Hub } from './hub-facade.js';

/** Where a hub's keys live in Redis: `hubemu:{<namespace>}:`. */
function namespaceOf(options: HubOptions): string {
  return options.redis?.namespace ?? hubNameOf(options.hostName);
}

/** This process's name among the processes of a cluster. */
function processIdOf(options: HubOptions): string {
  return options.processId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * The store: Redis shared with other hub processes, memory, or the durable log. Their notices (torn
 * lines, refused writes, failed compactions, a lost Redis) are logged and emitted.
 */
async function openStore(options: HubOptions, processId: string, events: HubEvents, logger: Logger): Promise<Store> {
  const onNotice = (notice: StoreNotice): void => {
    logger[notice.level]({ file: notice.file, ...(notice.line === undefined ? {} : { line: notice.line }), kind: notice.kind }, notice.message);
    events.emit('storeNotice', notice);
  };
  const { redis } = options;
  if (redis) {
    return RedisStore.open({
      url: redis.url,
      namespace: namespaceOf(options),
      processId,
      logLength: redis.logLength,
      volatile: redis.volatile,
      schemas: HUB_RECORD_SCHEMAS,
      onNotice,
    });
  }
  if (options.inMemory) return new MemoryStore();
  return new DurableStore(join(options.dataDir, 'state'), { fsync: options.fsync, repair: options.repairState, schemas: HUB_RECORD_SCHEMAS, onNotice });
}

function tlsMaterial(options: HubOptions): TlsMaterial {
  if (options.tls) return { key: options.tls.key, cert: options.tls.cert, ...(options.tls.ca ? { caPem: options.tls.ca } : {}) };
  return loadOrCreateCertificates(options.hostName, options.certDir ?? (options.inMemory ? undefined : join(options.dataDir, 'certs')));
}

/** Starts a hub: the composition root. The core (no I/O), the device plane and the REST API around it, and the listeners. */
export async function startHub(input: HubOptionsInput = {}): Promise<Hub> {
  const parsed = parseHubOptions(input);
  // A seed given as a path is read here, at the edge: the core takes data.
  const options = typeof parsed.seed === 'string' ? { ...parsed, seed: readSeedFile(parsed.seed) } : parsed;
  const tls = tlsMaterial(options);
  const events = new HubEvents();
  const logger = options.logger ?? silentLogger;
  const processId = processIdOf(options);
  const store = await openStore(options, processId, events, logger);
  let cluster: ProcessRegistry | undefined;
  try {
    cluster = options.redis ? await ProcessRegistry.open({ url: options.redis.url, namespace: namespaceOf(options), processId, leaseMs: options.redis.leaseMs }) : undefined;
  } catch (error) {
    await store.close();
    throw error;
  }
  const core = createCore({ options, store, events, logger, ...(cluster ? { cluster } : {}) });
  const clock = clockControl(core.clock);
  let clusterParts: ClusterParts | undefined;
  if (cluster && options.redis) {
    try {
      clusterParts = await openClusterParts(core, { url: options.redis.url, namespace: namespaceOf(options), processId, membership: cluster, clock, dashboard: options.dashboard, logger });
    } catch (error) {
      core.stop();
      await cluster.close();
      await store.close();
      throw error;
    }
  }

  let ready = false;
  // On a hub of several processes the banner's login link is good on any of them.
  const logins = new LoginTokens(core.clock, store.replicated ? store.collection<string>('meta') : undefined);
  const files = locateDashboardFiles(options.dashboardDir);
  if (options.dashboard && !files.built) logger.warn({ dir: files.dir }, 'the dashboard is not built: the hub runs without it (npm run build)');
  let mqtt: MqttPlane | undefined;
  let amqp: AmqpPlane | undefined;
  let listeners: Listeners | undefined;
  const stop = async (): Promise<void> => {
    ready = false;
    core.stop();
    await mqtt?.close();
    await amqp?.close();
    await listeners?.close();
    await clusterParts?.close();
    await cluster?.close();
    await store.close();
  };
  let controls: Controls;
  try {
    mqtt = await createMqttPlane(core);
    amqp = createAmqpPlane({ ...core, hostName: options.hostName, openTimeoutMs: options.timeouts.amqpOpenMs, amqpPort: () => listeners?.ports.amqp ?? options.amqpPort });
    const everywhere = clusterParts?.controls;
    controls = createControls(core, mqtt, everywhere && ((filter) => everywhere.traffic(filter)));
    const mountRoutes = (a: Express): void => {
      // Which process of a cluster answered (docs/scale-out.md).
      if (options.redis) a.use((_req, res, next) => void (res.setHeader('x-hubemu-process', processId), next()));
      // The test controls at /emulator/: each area adds its router here.
      mountControlPlane(
        a,
        core.auth,
        controlRoutes(controls),
        faultsRouter(everywhere?.faults() ?? core.faults),
        clockRouter(everywhere?.clock() ?? clock),
        consumerGroupsRouter(core.consumerGroups),
      );
      if (options.dashboard) {
        a.use(dashboardRouter({ files, logins, auth: core.auth, events: core.events, clock: core.clock, hostName: options.hostName, policies: core.options.policies, ...(clusterParts?.events ? { shared: clusterParts.events } : {}) }));
      }
      mountServiceApi(a, core);
    };
    const app = createApp({ ready: () => ready, mountRoutes, clock: core.clock, events: core.events, logger: core.logger });
    const amqpPlane = amqp;
    listeners = await startListeners(options, tls, app, { mqtt: mqtt.handle, amqp: (socket) => amqpPlane.handleSocket(socket), amqpWebSocket: (ws) => amqpPlane.handleWebSocket(ws) });
  } catch (error) {
    await stop();
    throw error;
  }
  // The seed (applied by whichever process of a cluster found the store empty) is committed before the hub says it is ready.
  try {
    await core.ready;
  } catch (error) {
    await stop();
    throw error;
  }
  ready = true;
  core.start();
  return hubFacade({
    core,
    mqtt,
    controls,
    ports: listeners.ports,
    tls,
    clock,
    dashboard: dashboardStatus(options.dashboard, files, logins, `https://${options.hostName}${listeners.ports.https === 443 ? '' : `:${listeners.ports.https}`}`),
    stop,
  });
}
