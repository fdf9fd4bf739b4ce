import { z } from 'zod';
import type { Logger } from './logger.js';
import { WELL_KNOWN_POLICIES, type AccessPolicy } from './policies.js';
import { ManualClock } from './manual-clock.js';
import { systemHubClock, toHubClock, type HubClock } from './scheduler.js';
import { MAX_TIMER_MS, systemClock, type Clock } from './time.js';

/**
 * The hub's options (`startHub()`, `hubemu start`), parsed once at the edge. The schema lives here, in the
 * pure package, so the CLI takes its defaults and ranges from it without loading the hub (aedes, express).
 */

const port = z.number().int().min(0).max(65535);
const ms = z.number().int().min(1).max(MAX_TIMER_MS);

/**
 * A consumer group name as the service takes it (`az iot hub consumer-group create`): letters, digits,
 * periods, hyphens and underscores, 1 to 50 of them. Compared without regard to case.
 */
export const ConsumerGroupNameSchema = z.string().min(1).max(50).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, periods, hyphens and underscores');

/**
 * How long a connection may take to prove itself: every listener closes a socket that has not
 * handshaken or authenticated within these bounds (docs/hub.md).
 */
export const ConnectionTimeoutsSchema = z
  .object({
    /** A TLS handshake (MQTT and AMQP over TLS, HTTPS) must finish within this, or the socket is closed. */
    tlsHandshakeMs: ms.default(30_000),
    /** An MQTT connection (TLS, plain or WebSocket) must send CONNECT within this once its transport is up. */
    mqttConnectMs: ms.default(30_000),
    /** An AMQP connection (TLS, plain or WebSocket) must have sent its protocol header, SASL exchange and open within this. */
    amqpOpenMs: ms.default(30_000),
    /** An HTTP request's headers must have arrived within this; a new connection that sends nothing counts too. */
    httpHeadersMs: ms.default(30_000),
    /** A whole HTTP request, headers and body, must have arrived within this. */
    httpRequestMs: ms.default(60_000),
    /** An HTTP keep-alive connection idle between requests for this long is closed. */
    httpKeepAliveMs: ms.default(5_000),
  })
  .refine((t) => t.httpHeadersMs <= t.httpRequestMs, { message: 'httpHeadersMs must not exceed httpRequestMs', path: ['httpHeadersMs'] });
export type ConnectionTimeouts = z.output<typeof ConnectionTimeoutsSchema>;

/** The non-telemetry events a hub can send to its Event Hubs-compatible endpoint, named as `iothub-message-source` names them. */
export const NON_TELEMETRY_MESSAGE_SOURCES = ['twinChangeEvents', 'deviceConnectionStateEvents', 'deviceLifecycleEvents'] as const;
export type NonTelemetryMessageSource = (typeof NON_TELEMETRY_MESSAGE_SOURCES)[number];

/** Options of `startHub()`, parsed once at the edge. Every port accepts 0 (pick a free one). */
export const HubOptionsSchema = z.object({
  /** The host name in connection strings; SAS `sr` and MQTT usernames are checked against it. */
  hostName: z.string().min(1).default('localhost'),
  /** The address every listener binds. */
  bindAddress: z.string().default('127.0.0.1'),
  /** MQTT over TLS. */
  mqttPort: port.default(8883),
  /** HTTPS: REST service API, MQTT over WebSockets at /$iothub/websocket, /health. */
  httpsPort: port.default(443),
  /** Optional plain MQTT (no TLS), for workshops and tools. */
  mqttPlainPort: port.optional(),
  /** Optional plain HTTP with the same routes as HTTPS (including WebSockets). */
  httpPort: port.optional(),
  /** AMQP over TLS: C2D sends, feedback and the Event Hubs-compatible endpoint (docs/messaging.md). */
  amqpPort: port.default(5671),
  /** Optional plain AMQP (no TLS), for Event Hubs clients whose connection string says `UseDevelopmentEmulator=true` (they use 5672). */
  amqpPlainPort: port.optional(),
  /** Bounds on connections that have not handshaken or authenticated yet, and on idle HTTP connections. */
  timeouts: ConnectionTimeoutsSchema.prefault({}),
  /** Where state and certificates live. Ignored with inMemory. */
  dataDir: z.string().default('.hubemu'),
  /** Keep no state on disk. */
  inMemory: z.boolean().default(false),
  /** Where the CA and server certificate are kept: `<dataDir>/certs` by default; an in-memory hub without it makes them per process. */
  certDir: z.string().optional(),
  /** fsync every write: survives power loss, not only a killed process. */
  fsync: z.boolean().default(false),
  /** Start even when the state log has bad records: move them to `<dataDir>/state/state.rejected.jsonl` (docs/hub.md). */
  repairState: z.boolean().default(false),
  /**
   * Share state with other hub processes through Redis (docs/scale-out.md): every process started with the same
   * `url` and `namespace` is one hub. Without it the hub keeps its state in memory or in `dataDir`, as before.
   */
  redis: z
    .object({
      /** `redis://[:password@]host:port[/db]`. */
      url: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL'),
      /** Keys are prefixed `hubemu:{<namespace>}:`; two hubs on one Redis need two namespaces. Default: the hub name. */
      namespace: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).optional(),
      /** Run on a Redis whose append-only file is off (acknowledged writes may then be lost when Redis stops). */
      volatile: z.boolean().default(false),
      /** Commit entries the shared log keeps for processes that catch up; older ones mean a full reload. */
      logLength: z.number().int().min(1_000).max(10_000_000).default(100_000),
      /** How long a process's liveness and the leader's lease last without renewal. */
      leaseMs: z.number().int().min(300).max(60_000).default(10_000),
    })
    .optional(),
  /** This process's name in a cluster (unique per process; default: host name, pid and a random suffix). */
  processId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).optional(),
  /** TLS session ticket keys (48 bytes, base64) shared by the processes of a cluster, so a resumed session works on any of them. */
  tlsTicketKeys: z
    .string()
    .refine((s) => Buffer.from(s, 'base64').length === 48, 'must be 48 bytes, base64-encoded')
    .optional(),
  /** Connections each listener holds at most; more are refused (and retried by clients) rather than run the process out of open files. */
  maxConnections: z.number().int().min(1).optional(),
  /** Your own certificate and key (PEM text); the hub then makes none. */
  tls: z.object({ cert: z.string(), key: z.string(), ca: z.string().optional() }).optional(),
  /** Refuse arrays in twins, as the service did before 2021. */
  rejectArrays: z.boolean().default(false),
  /** Accept query extensions the real service refuses (ORDER BY). */
  queryLoose: z.boolean().default(false),
  /** How many events the Event Hubs-compatible endpoint keeps (all partitions together); the oldest go first. */
  telemetryBufferSize: z.number().int().min(0).default(10_000),
  /** How many bytes of events (bodies and properties) the Event Hubs-compatible endpoint keeps; the oldest go first. */
  telemetryBufferBytes: z.number().int().min(0).default(64 * 1024 * 1024),
  /** The Event Hubs-compatible endpoint (docs/messaging.md): partitions (a device's events all go to one), consumer groups besides `$Default`, and how long events are kept. */
  eventHub: z
    .object({
      partitions: z.number().int().min(1).max(32).default(4),
      consumerGroups: z.array(ConsumerGroupNameSchema).default([]),
      /** Events older than this are dropped (the service keeps 1 day by default, at most 7). */
      retentionMs: ms.default(86_400_000),
      /**
       * Events besides telemetry the endpoint receives, as if a route sent that data source to the built-in
       * endpoint (the service sends none unless a route says so); telemetry always arrives, as the fallback route sends it.
       */
      messageSources: z.array(z.enum(NON_TELEMETRY_MESSAGE_SOURCES)).default([]),
    })
    .prefault({}),
  /** Cloud-to-device queues and feedback (docs/messaging.md); the service's defaults. */
  c2d: z
    .object({
      /** A message's time to live when the sender sets no expiry (1 minute to 2 days). */
      defaultTtlMs: z.number().int().min(60_000).max(172_800_000).default(3_600_000),
      /** Deliveries (abandons) before a message is dead-lettered (1 to 100). */
      maxDeliveryCount: z.number().int().min(1).max(100).default(10),
      /** How long feedback waits for a reader before it is dropped (1 minute to 2 days). */
      feedbackTtlMs: z.number().int().min(60_000).max(172_800_000).default(3_600_000),
      /** How long a feedback batch sent to a reader stays locked before it is offered again (5 s to 5 min). */
      feedbackLockMs: z.number().int().min(5_000).max(300_000).default(60_000),
    })
    .prefault({}),
  /** How many records the traffic record (`hub.traffic()`, `GET /emulator/traffic`) keeps: requests on every plane and pushes to devices. */
  trafficBufferSize: z.number().int().min(0).default(200),
  /** How many bytes of topics, payloads and messages the traffic record keeps; the oldest records go first. */
  trafficBufferBytes: z.number().int().min(0).default(16 * 1024 * 1024),
  /** Serve the web dashboard at `/` (docs/dashboard.md); `false` turns it off. */
  dashboard: z.boolean().default(true),
  /** The dashboard's built files; by default the `dist/` of the `@hubemu/dashboard` package. */
  dashboardDir: z.string().optional(),
  /** A seed applied at start when the registry is empty and on every reset: the data, or the path of a JSON/YAML file (read and checked by startHub). */
  seed: z.unknown().optional(),
  /** Interval of automatic configuration evaluation, in milliseconds (a timer cannot wait longer than 2^31-1 ms). */
  configurationIntervalMs: ms.min(10).default(2_000),
  /** Jobs (`/jobs/v2`): no limits unless set here or by `tier`. See docs/jobs.md. */
  jobs: z
    .object({
      /** Jobs that may be active (scheduled, queued or running) at once; more are refused with 429. */
      maxConcurrentJobs: z.number().int().min(1).optional(),
      /** Device operations (twin writes, method calls) per second across all jobs. */
      deviceOperationsPerSecond: z.number().positive().optional(),
    })
    .default({}),
  /**
   * Applies the real service's limits of a tier: concurrent jobs, job device operations and
   * configurations (explicit `jobs` options win), and the per-operation throttles of both planes with
   * traffic shaping (docs/testing-with-hubemu.md, "Throttling"). `{ name, units }` sets `tierUnits` too.
   */
  tier: z.enum(['F1', 'S1', 'S2', 'S3']).optional(),
  /** Purchased units of `tier` (limits that scale per unit use it); the service sells at most 200 units of a hub. */
  tierUnits: z.number().int().min(1).max(200).default(1),
});

export type HubTierName = NonNullable<z.output<typeof HubOptionsSchema>['tier']>;

/**
 * Which clock the hub runs (docs/testing-with-hubemu.md, "Test clock"): `'system'` (the default), or
 * `'manual'`, a test clock that stands still until set or advanced, starting at `startAt` (an ISO
 * time with its offset, epoch milliseconds or a Date; the present by default).
 */
export const ClockOptionSchema = z.union([
  z.enum(['system', 'manual']),
  z
    .object({
      mode: z.enum(['system', 'manual']),
      startAt: z.union([z.iso.datetime({ offset: true }), z.number().int().min(0), z.date()]).optional(),
    })
    .strict()
    .refine((o) => o.mode === 'manual' || o.startAt === undefined, { message: 'startAt needs mode manual', path: ['startAt'] }),
]);
export type ClockOption = z.input<typeof ClockOptionSchema>;

export type HubOptionsInput = Omit<z.input<typeof HubOptionsSchema>, 'tier'> & {
  /** A tier name (units from `tierUnits`), or `{ name, units }`. */
  tier?: HubTierName | { name: HubTierName; units?: number } | undefined;
  /** Shared access policies; the well-known ones by default. */
  policies?: readonly AccessPolicy[];
  /** The clock setting, or a clock of your own: a HubClock (e.g. a ManualClock you keep) or a bare Clock, whose timers then run on Node's. */
  clock?: ClockOption | Clock;
  logger?: Logger;
};

export type HubOptions = z.output<typeof HubOptionsSchema> & {
  policies: readonly AccessPolicy[];
  clock: HubClock;
  logger?: Logger;
};

/** The hub's clock for the `clock` option (see ClockOptionSchema); a ManualClock is made here, once, at the edge. */
function hubClockOf(option: ClockOption | Clock | undefined): HubClock {
  if (option === undefined) return systemHubClock(systemClock);
  if (typeof option === 'object' && typeof (option as Partial<Clock>).now === 'function') return toHubClock(option as Clock);
  const parsed = ClockOptionSchema.safeParse(option);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Invalid hub options: clock${issue && issue.path.length > 0 ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'unknown'} (use 'system', 'manual' or { mode: 'manual', startAt })`);
  }
  const setting = typeof parsed.data === 'string' ? { mode: parsed.data } : parsed.data;
  if (setting.mode === 'system') return systemHubClock(systemClock);
  const startAt = 'startAt' in setting ? setting.startAt : undefined;
  return new ManualClock(startAt === undefined ? Date.now() : new Date(startAt).getTime());
}

export function parseHubOptions(input: HubOptionsInput = {}): HubOptions {
  const { policies, clock, logger, tier, ...rest } = input;
  const tierFields = typeof tier === 'object' && tier !== null ? { tier: tier.name, ...(tier.units === undefined ? {} : { tierUnits: tier.units }) } : tier === undefined ? {} : { tier };
  const parsed = HubOptionsSchema.safeParse({ ...rest, ...tierFields });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Invalid hub options: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown'}`);
  }
  return { ...parsed.data, policies: policies ?? WELL_KNOWN_POLICIES, clock: hubClockOf(clock), ...(logger ? { logger } : {}) };
}
