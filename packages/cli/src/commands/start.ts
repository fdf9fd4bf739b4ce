import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { HubOptionsSchema, NON_TELEMETRY_MESSAGE_SOURCES, parseHubOptions, type ConnectionTimeouts, type HubOptionsInput, type NonTelemetryMessageSource } from '@hubemu/shared';
import type { Hub } from '@hubemu/hub-emulator';
import { createLogger, logHubRequests } from '../log.js';
import { integerFlag, parsePort, rangeOf, schemaFlag } from '../options.js';
import { isHubWorker, reportToPrimary, runPrimary, workerIdentity } from './start-cluster.js';

// Defaults, ranges and choices come from the hub's options schema (in shared, so `hubemu start --help`
// and every client command load without the hub); the hub itself loads only when `start` runs.
const HUB = HubOptionsSchema.shape;
const DEFAULTS = HubOptionsSchema.parse({});
const TIMEOUTS = HUB.timeouts.unwrap().shape;
const JOBS = HUB.jobs.unwrap().shape;
const TIERS = HUB.tier.unwrap().options;
const EVENT_HUB = HUB.eventHub.unwrap().shape;
const C2D = HUB.c2d.unwrap().shape;

/** The `timeouts` option: one flag per bound, in milliseconds. */
const TIMEOUT_FLAGS = [
  ['--tls-handshake-timeout', 'tlsHandshakeMs', 'a TLS handshake (MQTT and AMQP over TLS, HTTPS) must finish within this'],
  ['--mqtt-connect-timeout', 'mqttConnectMs', 'an MQTT connection must send CONNECT within this once its transport is up'],
  ['--amqp-open-timeout', 'amqpOpenMs', 'an AMQP connection must have sent its open within this once its transport is up'],
  ['--http-headers-timeout', 'httpHeadersMs', "an HTTP request's headers must have arrived within this"],
  ['--http-request-timeout', 'httpRequestMs', 'a whole HTTP request, headers and body, must have arrived within this'],
  ['--http-keep-alive-timeout', 'httpKeepAliveMs', 'an idle keep-alive HTTP connection is closed after this'],
] as const satisfies ReadonlyArray<readonly [string, keyof ConnectionTimeouts, string]>;

/**
 * `--message-source`: a data source a route could send to the built-in endpoint, named as
 * `az iot hub route create --source` names it (any case: `TwinChangeEvents`, `twinchangeevents`).
 */
export function parseMessageSource(value: string, previous: NonTelemetryMessageSource[] = []): NonTelemetryMessageSource[] {
  const source = NON_TELEMETRY_MESSAGE_SOURCES.find((s) => s.toLowerCase() === value.toLowerCase());
  if (!source) throw new InvalidArgumentError(`'${value}' is not a message source (${NON_TELEMETRY_MESSAGE_SOURCES.join(', ')}).`);
  return previous.includes(source) ? previous : [...previous, source];
}

/** commander's camel-cased property for a `--kebab-case` flag. */
function flagKey(flag: string): string {
  return flag.slice(2).replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

interface StartFlags {
  hostName: string;
  bind: string;
  mqttPort: number;
  httpsPort: number;
  mqttPlainPort?: number;
  httpPort?: number;
  amqpPort: number;
  amqpPlainPort?: number;
  partitions: number;
  consumerGroup: string[];
  messageSource: NonTelemetryMessageSource[];
  retentionCount: number;
  retentionTime: number;
  c2dTtl: number;
  c2dMaxDeliveryCount: number;
  feedbackTtl: number;
  feedbackLock: number;
  dataDir: string;
  inMemory?: boolean;
  fsync?: boolean;
  repairState?: boolean;
  cert?: string;
  key?: string;
  seed?: string;
  logLevel: string;
  demo?: boolean;
  dashboard: boolean;
  rejectArrays?: boolean;
  queryLoose?: boolean;
  configurationInterval: number;
  tier?: (typeof TIERS)[number];
  tierUnits: number;
  maxConcurrentJobs?: number;
  jobOpsPerSecond?: number;
  clock: 'system' | 'manual';
  clockStart?: string;
  redis?: string;
  redisNamespace?: string;
  redisVolatile?: boolean;
  processes: number;
  maxConnectionsPerProcess?: number;
  [timeoutFlag: string]: unknown;
}

function timeoutsOf(flags: StartFlags): ConnectionTimeouts {
  const timeouts = { ...DEFAULTS.timeouts };
  for (const [flag, key] of TIMEOUT_FLAGS) {
    const value = flags[flagKey(flag)];
    if (typeof value === 'number') timeouts[key] = value;
  }
  return timeouts;
}

/** The banner's dashboard line: a one-time login link (open it once; paste a connection string after that). */
function dashboardLine(hub: Hub): string {
  const { dashboard } = hub;
  if (dashboard.state === 'off') return '  dashboard        off (--no-dashboard)';
  if (dashboard.state === 'not-built') return `  dashboard        not built (${dashboard.dir}): run npm run build`;
  return `  dashboard        ${dashboard.loginUrl()}`;
}

/** The Event Hubs-compatible connection string of the first policy with ServiceConnect (`service` unless the seed replaced it). */
function eventHubLines(hub: Hub): string[] {
  const policy = hub.options.policies.find((p) => p.name === 'service') ?? hub.options.policies.find((p) => p.permissions.includes('ServiceConnect'));
  return policy ? [`  Event Hubs-compatible endpoint (${policy.name} policy):`, `    ${hub.eventHubConnectionString(policy.name)}`] : [];
}

export function banner(hub: Hub): string {
  const lines = [
    '',
    'hubemu is running',
    `  host name        ${hub.hostName}`,
    `  MQTT/TLS         ${hub.options.bindAddress}:${hub.ports.mqtt}`,
    `  HTTPS            https://${hub.hostName}:${hub.ports.https}  (REST API, MQTT and AMQP over WebSockets at /$iothub/websocket, /health)`,
    `  AMQP/TLS         ${hub.options.bindAddress}:${hub.ports.amqp}  (C2D sends, feedback, the Event Hubs-compatible endpoint; AMQP over WebSockets at /$servicebus/websocket)`,
  ];
  if (hub.ports.mqttPlain !== undefined) lines.push(`  MQTT (plain)     ${hub.options.bindAddress}:${hub.ports.mqttPlain}`);
  if (hub.ports.http !== undefined) lines.push(`  HTTP (plain)     http://${hub.hostName}:${hub.ports.http}`);
  if (hub.ports.amqpPlain !== undefined) lines.push(`  AMQP (plain)     ${hub.options.bindAddress}:${hub.ports.amqpPlain}`);
  lines.push(dashboardLine(hub));
  if (hub.clock.mode === 'manual') lines.push(`  clock            test clock at ${hub.clock.state().now}: move it with POST /emulator/clock or hubemu emulator clock`);
  lines.push(
    `  CA certificate   ${hub.caPath ?? '(in memory: pass hub.caPem or use --data-dir)'}`,
    `                   trust it with: export NODE_EXTRA_CA_CERTS=${hub.caPath ?? '<ca.pem>'}`,
    '',
    `  Owner connection string:`,
    `    ${hub.connectionString('iothubowner')}`,
    ...eventHubLines(hub),
    '',
  );
  return lines.join('\n');
}

export function registerStart(program: Command): void {
  const start = program
    .command('start')
    .description(`Start a hub (MQTT/TLS on ${DEFAULTS.mqttPort}, HTTPS on ${DEFAULTS.httpsPort} by default).`)
    .option('--host-name <name>', 'host name in connection strings; SAS tokens and MQTT usernames are checked against it', DEFAULTS.hostName)
    .option('--bind <address>', 'address every listener binds', DEFAULTS.bindAddress)
    .option('--mqtt-port <port>', 'MQTT over TLS port (0 picks a free one)', parsePort, DEFAULTS.mqttPort)
    .option('--https-port <port>', 'HTTPS port: REST API, MQTT over WebSockets, /health (0 picks a free one)', parsePort, DEFAULTS.httpsPort)
    .option('--mqtt-plain-port <port>', 'also serve plain MQTT (no TLS) on this port', parsePort)
    .option('--http-port <port>', 'also serve plain HTTP (no TLS) on this port', parsePort)
    .option('--amqp-port <port>', 'AMQP over TLS port: C2D sends, feedback, the Event Hubs-compatible endpoint (0 picks a free one)', parsePort, DEFAULTS.amqpPort)
    .option('--amqp-plain-port <port>', 'also serve plain AMQP (no TLS), for Event Hubs clients with UseDevelopmentEmulator=true (5672)', parsePort)
    .option('--partitions <n>', `partitions of the Event Hubs-compatible endpoint (${rangeOf(EVENT_HUB.partitions)})`, schemaFlag('--partitions', EVENT_HUB.partitions), DEFAULTS.eventHub.partitions)
    .option('--consumer-group <name>', 'a consumer group besides $Default (repeat the flag for more)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option(
      '--message-source <source>',
      `also send these events to the Event Hubs-compatible endpoint, as a route would (${NON_TELEMETRY_MESSAGE_SOURCES.join(', ')}; repeat the flag for more); telemetry always goes there`,
      parseMessageSource,
      [] as NonTelemetryMessageSource[],
    )
    .option('--retention-count <n>', `events the Event Hubs-compatible endpoint keeps, all partitions together (${rangeOf(HUB.telemetryBufferSize)})`, schemaFlag('--retention-count', HUB.telemetryBufferSize), DEFAULTS.telemetryBufferSize)
    .option('--retention-time <ms>', `how long it keeps an event (${rangeOf(EVENT_HUB.retentionMs)})`, schemaFlag('--retention-time', EVENT_HUB.retentionMs), DEFAULTS.eventHub.retentionMs)
    .option('--c2d-ttl <ms>', `time to live of a C2D message whose sender sets no expiry (${rangeOf(C2D.defaultTtlMs)})`, schemaFlag('--c2d-ttl', C2D.defaultTtlMs), DEFAULTS.c2d.defaultTtlMs)
    .option('--c2d-max-delivery-count <n>', `deliveries of a C2D message before it is dead-lettered (${rangeOf(C2D.maxDeliveryCount)})`, schemaFlag('--c2d-max-delivery-count', C2D.maxDeliveryCount), DEFAULTS.c2d.maxDeliveryCount)
    .option('--feedback-ttl <ms>', `how long C2D feedback waits for a reader (${rangeOf(C2D.feedbackTtlMs)})`, schemaFlag('--feedback-ttl', C2D.feedbackTtlMs), DEFAULTS.c2d.feedbackTtlMs)
    .option('--feedback-lock <ms>', `how long a feedback batch sent to a reader stays locked (${rangeOf(C2D.feedbackLockMs)})`, schemaFlag('--feedback-lock', C2D.feedbackLockMs), DEFAULTS.c2d.feedbackLockMs)
    .option('--data-dir <dir>', 'where state and certificates are kept', DEFAULTS.dataDir)
    .option('--in-memory', 'keep no state on disk (certificates are still kept in <data-dir>/certs)')
    .option('--fsync', 'fsync every write (survives power loss, slower)')
    .option('--repair-state', 'start even when the state log has bad records: move them to <data-dir>/state/state.rejected.jsonl')
    .option('--cert <file>', 'server certificate (PEM) to use instead of the generated one')
    .option('--key <file>', 'private key (PEM) of --cert')
    .option('--seed <file>', 'seed file (JSON or YAML): devices, modules, tags, desired and reported properties, configurations and policies, applied at start and on every reset')
    .addOption(new Option('--log-level <level>', 'how much the hub logs').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'))
    .option('--no-dashboard', 'do not serve the web dashboard at /')
    .option('--demo', 'seed a demo fleet and run simulated devices against it')
    .option('--reject-arrays', 'refuse arrays in twins, as the service did before 2021')
    .option('--query-loose', 'accept query extensions the real service refuses (ORDER BY)')
    .option(
      '--configuration-interval <ms>',
      `how often automatic device configurations are evaluated (${rangeOf(HUB.configurationIntervalMs)})`,
      schemaFlag('--configuration-interval', HUB.configurationIntervalMs),
      DEFAULTS.configurationIntervalMs,
    )
    .addOption(new Option('--tier <tier>', "apply a tier's limits: per-operation throttles with traffic shaping, jobs and configurations (none by default)").choices(TIERS))
    .option('--tier-units <n>', `purchased units of --tier (${rangeOf(HUB.tierUnits)})`, schemaFlag('--tier-units', HUB.tierUnits), DEFAULTS.tierUnits)
    .option('--max-concurrent-jobs <n>', `jobs active at once before 429, overrides --tier (${rangeOf(JOBS.maxConcurrentJobs)})`, schemaFlag('--max-concurrent-jobs', JOBS.maxConcurrentJobs))
    .option('--job-ops-per-second <n>', `device operations per second across jobs, overrides --tier (${rangeOf(JOBS.deviceOperationsPerSecond)})`, schemaFlag('--job-ops-per-second', JOBS.deviceOperationsPerSecond))
    .addOption(new Option('--clock <mode>', 'manual: a test clock that stands still until set or advanced (POST /emulator/clock, hubemu emulator clock)').choices(['system', 'manual']).default('system'))
    .option('--clock-start <time>', 'where the manual clock starts: an ISO 8601 time with its offset (default: now)')
    .option('--redis <url>', 'share the hub state with other hub processes through this Redis (redis://host:port; docs/scale-out.md)')
    .option('--redis-namespace <name>', 'keys in Redis are prefixed hubemu:{<name>}: (default: the hub name); two hubs on one Redis need two')
    .option('--redis-volatile', 'run on a Redis whose append-only file is off (acknowledged writes may then be lost when Redis stops)')
    .option('--processes <n>', 'hub processes serving the same ports and state (needs --redis)', integerFlag('--processes', 1, 64), 1)
    .option('--max-connections-per-process <n>', 'connections each listener of a process holds at most; more are refused and retried (a process may hold only so many open files)', integerFlag('--max-connections-per-process', 1, 1_000_000));
  for (const [flag, key, description] of TIMEOUT_FLAGS) {
    start.option(`${flag} <ms>`, `${description} (${rangeOf(TIMEOUTS[key])})`, schemaFlag(flag, TIMEOUTS[key]), DEFAULTS.timeouts[key]);
  }
  start.action(async (flags: StartFlags) => {
    if (Boolean(flags.cert) !== Boolean(flags.key)) throw new Error('--cert and --key go together.');
    if (flags.processes > 1 && !flags.redis) {
      throw new Error(
        `--processes ${flags.processes} needs --redis <url>: hub processes share their state through Redis (docs/scale-out.md). Install and start one with: apt-get install redis-server && redis-server --appendonly yes`,
      );
    }
    if (flags.redis && flags.inMemory) throw new Error('--redis keeps the state in Redis; leave out --in-memory.');
    // The processes of `--processes N` share one output: each of their lines names its process.
    const logger = isHubWorker() ? createLogger(flags.logLevel).child({ process: workerIdentity().processId }) : createLogger(flags.logLevel);
    const options: HubOptionsInput = {
      hostName: flags.hostName,
      bindAddress: flags.bind,
      mqttPort: flags.mqttPort,
      httpsPort: flags.httpsPort,
      amqpPort: flags.amqpPort,
      telemetryBufferSize: flags.retentionCount,
      eventHub: { partitions: flags.partitions, consumerGroups: flags.consumerGroup, retentionMs: flags.retentionTime, messageSources: flags.messageSource },
      c2d: { defaultTtlMs: flags.c2dTtl, maxDeliveryCount: flags.c2dMaxDeliveryCount, feedbackTtlMs: flags.feedbackTtl, feedbackLockMs: flags.feedbackLock },
      dataDir: flags.dataDir,
      inMemory: Boolean(flags.inMemory),
      // Certificates stay in <data-dir>/certs even with --in-memory, so clients have a ca.pem to trust.
      certDir: resolve(flags.dataDir, 'certs'), // absolute, so the banner's export line works from any folder
      fsync: Boolean(flags.fsync),
      repairState: Boolean(flags.repairState),
      rejectArrays: Boolean(flags.rejectArrays),
      dashboard: flags.dashboard,
      queryLoose: Boolean(flags.queryLoose),
      configurationIntervalMs: flags.configurationInterval,
      tierUnits: flags.tierUnits,
      timeouts: timeoutsOf(flags),
      jobs: {
        ...(flags.maxConcurrentJobs === undefined ? {} : { maxConcurrentJobs: flags.maxConcurrentJobs }),
        ...(flags.jobOpsPerSecond === undefined ? {} : { deviceOperationsPerSecond: flags.jobOpsPerSecond }),
      },
      logger,
    };
    if (flags.tier) options.tier = flags.tier;
    if (flags.clockStart !== undefined && flags.clock !== 'manual') throw new Error('--clock-start goes with --clock manual.');
    if (flags.clock === 'manual') options.clock = flags.clockStart === undefined ? 'manual' : { mode: 'manual', startAt: flags.clockStart };
    if (flags.mqttPlainPort !== undefined) options.mqttPlainPort = flags.mqttPlainPort;
    if (flags.httpPort !== undefined) options.httpPort = flags.httpPort;
    if (flags.amqpPlainPort !== undefined) options.amqpPlainPort = flags.amqpPlainPort;
    if (flags.cert && flags.key) options.tls = { cert: readFileSync(flags.cert, 'utf8'), key: readFileSync(flags.key, 'utf8') };
    if (flags.redis) options.redis = { url: flags.redis, volatile: Boolean(flags.redisVolatile), ...(flags.redisNamespace ? { namespace: flags.redisNamespace } : {}) };
    if (flags.maxConnectionsPerProcess !== undefined) options.maxConnections = flags.maxConnectionsPerProcess;
    const worker = isHubWorker();
    if (worker) Object.assign(options, workerIdentity());
    parseHubOptions(options); // refuses what the flags cannot check one by one (httpHeadersMs > httpRequestMs) before loading the hub
    // The hub (and the demo's device agent) load only for `start`, so client commands start fast.
    const [{ startHub }, { DEMO_SEED, startDemoFleet }] = await Promise.all([import('@hubemu/hub-emulator'), import('../demo.js')]);
    if (flags.seed) options.seed = resolve(flags.seed); // read and validated by the hub, errors naming file:line
    else if (flags.demo) options.seed = DEMO_SEED;
    if (flags.processes > 1 && !worker) {
      // The certificates are made once, here, before the hub processes read them.
      if (!options.tls) (await import('@hubemu/hub-emulator')).loadOrCreateCertificates(flags.hostName, options.certDir);
      return runPrimary(flags.processes, flags.redis as string, logger);
    }
    let hub: Hub;
    try {
      hub = await startHub(options);
    } catch (error) {
      if (worker) reportToPrimary({ error });
      throw error;
    }
    logHubRequests(hub, logger);
    let demo: Awaited<ReturnType<typeof startDemoFleet>> | undefined;
    let stopping = false;
    const stop = async (signal: string): Promise<void> => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      await demo?.stop();
      await hub.stop();
      process.exit(0);
    };
    // Before the banner: whoever waits for it (a script, a test) may stop the hub the moment it appears.
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
    // One banner for a cluster: its primary prints the first hub process's, with the list of processes.
    if (worker) reportToPrimary({ banner: banner(hub) });
    else process.stdout.write(`${banner(hub)}\n`);
    // One demo fleet for a cluster, run by its first hub process.
    if (flags.demo && (!worker || workerIdentity().processId.endsWith('-w1'))) demo = await startDemoFleet(hub, logger);
    // Started by another process over IPC (hubemu fleet run): stop when it goes, however it went.
    if (process.send) process.once('disconnect', () => void stop('parent exited'));
  });
}
