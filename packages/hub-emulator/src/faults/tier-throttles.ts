import type { FaultOperation } from '@hubemu/shared';
import { reserveTokens, type BucketState } from '../jobs/rate-limiter.js';
import type { HubTier } from '../jobs/service-limits.js';

/** The operation groups the service throttles separately (reference 3.2); jobs' device operations keep their own limiter (service-limits.ts). */
export type ThrottleClass = 'registry' | 'connections' | 'queries' | 'methods' | 'twinReads' | 'twinUpdates' | 'jobs' | 'configurations' | 'c2dSends' | 'd2cSends';

/** A token bucket: refilled at `perSecond`, holding at most `burst` (the quota's own window: a minute for per-minute quotas, a second otherwise). */
export interface ThrottleRate {
  perSecond: number;
  burst: number;
}

/** Direct methods are metered in bytes: every call counts as at least 4 KB (reference 3.2). */
export const METHOD_METER_BYTES = 4 * 1024;

/** How long an excess request may wait in the shaping queue before the hub answers 429 instead. */
export const SHAPING_WINDOW_MS = 1_000;

const perMinute = (n: number): ThrottleRate => ({ perSecond: n / 60, burst: n });
const perSecond = (n: number): ThrottleRate => ({ perSecond: n, burst: n });

/**
 * The documented per-operation throttles of `units` units of a tier (reference 3.2, QUOTA-DOC 2023).
 * F1 is S1's column; identity registry, query, jobs and configuration quotas are per minute, so a
 * burst of one minute's quota passes at once.
 */
export function tierThrottles(tier: HubTier, units = 1): Record<ThrottleClass, ThrottleRate> {
  const s3 = tier === 'S3';
  const s2 = tier === 'S2';
  return {
    registry: perMinute((s3 ? 5000 : 100) * units),
    connections: perSecond(s3 ? 6000 * units : s2 ? 120 * units : Math.max(100, 12 * units)),
    queries: perMinute((s3 ? 1000 : 20) * units),
    methods: perSecond((s3 ? 24 * 1024 * 1024 : s2 ? 480 * 1024 : 160 * 1024) * units),
    twinReads: perSecond(s3 ? 500 * units : s2 ? Math.max(100, 10 * units) : 100),
    twinUpdates: perSecond(s3 ? 250 * units : s2 ? Math.max(50, 5 * units) : 50),
    jobs: perMinute((s3 ? 5000 : 100) * units),
    configurations: perMinute(20 * units),
    // Cloud-to-device sends: 1.67/s/unit (100 a minute) on F1, S1 and S2, 83.33/s/unit on S3.
    c2dSends: perMinute((s3 ? 5000 : 100) * units),
    // Device-to-cloud sends (MQTT publishes, HTTPS messages, each message of a batch): the table's Free/S1 column is max(100/s, 12/s/unit).
    d2cSends: perSecond(s3 ? 6000 * units : s2 ? 120 * units : Math.max(100, 12 * units)),
  };
}

/** Which throttle a REST route (`PATCH /twins/:deviceId`) counts against; undefined for the hub's own routes. */
export function routeThrottleClass(route: string): ThrottleClass | undefined {
  const [method = '', path = ''] = route.split(' ', 2);
  if (path === '/devices/query') return 'queries';
  // The device HTTPS API (telemetry, C2D receive and settle) is no registry operation: telemetry counts as a D2C send where it is carried out.
  if (path.startsWith('/devices/:deviceId/messages/')) return undefined;
  if (path.startsWith('/twins/')) return path.endsWith('/methods') ? 'methods' : method === 'GET' ? 'twinReads' : 'twinUpdates';
  if (path === '/devices' || path.startsWith('/devices/') || path.startsWith('/statistics/')) return 'registry';
  if (path === '/jobs' || path.startsWith('/jobs/')) return 'jobs';
  if (path === '/configurations' || path.startsWith('/configurations/')) return 'configurations';
  return undefined;
}

/** Which throttle an operation counts against. Desired notifications and method deliveries are counted where they start (a REST call). */
export function throttleClassOf(operation: FaultOperation, route?: string): ThrottleClass | undefined {
  switch (operation) {
    case 'connect':
      return 'connections';
    case 'twin.get':
      return 'twinReads';
    case 'twin.patchReported':
      return 'twinUpdates';
    case 'http':
      return route === undefined ? undefined : routeThrottleClass(route);
    case 'c2d.send':
      return 'c2dSends';
    case 'telemetry':
      return 'd2cSends';
    default:
      return undefined;
  }
}

/** The outcome of shaping one request: go now, wait `waitMs` then go, or be refused (429). */
export type Shaped = { waitMs: number } | { refused: true };

/** A tier's throttles over time: one token bucket per class, excess requests queued up to SHAPING_WINDOW_MS. Pure: time is passed in. */
export class TierThrottle {
  private readonly buckets = new Map<ThrottleClass, BucketState>();

  constructor(
    private readonly rates: Record<ThrottleClass, ThrottleRate>,
    private readonly maxWaitMs = SHAPING_WINDOW_MS,
  ) {}

  /** Takes `cost` tokens of `kind` at `nowMs` (bytes for methods, else one). */
  take(kind: ThrottleClass, nowMs: number, cost = 1): Shaped {
    const rate = this.rates[kind];
    const state = this.buckets.get(kind) ?? { tokens: rate.burst, atMs: nowMs };
    const result = reserveTokens(state, nowMs, rate.perSecond, rate.burst, cost, this.maxWaitMs);
    this.buckets.set(kind, result.state);
    return result.admitted ? { waitMs: result.waitMs } : { refused: true };
  }
}
