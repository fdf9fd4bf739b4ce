import { ReasonCounter, summarize, type FleetFailure, type LatencySummary } from '@hubemu/device-agent';
import type { DeviceEvent } from './protocol.js';

/** One point of the run's timeline (two a second). */
export interface TimelineSample {
  /** Seconds since the command started. */
  t: number;
  connected: number;
  converged: number;
  failed: number;
  /** Device -> hub and hub -> device messages per second over the last interval. */
  sentPerSecond: number;
  receivedPerSecond: number;
  hubCpuPercent: number | null;
  hubRssMb: number | null;
}

/** Devices whose latency was at most `le` ms (and above the previous bucket's). */
export interface HistogramBucket {
  le: number;
  count: number;
}

/** Buckets at 1-2-5 steps (1, 2, 5, 10, 20, 50 ms ...) up to the largest value. */
export function histogram(values: readonly number[]): HistogramBucket[] {
  if (values.length === 0) return [];
  const max = Math.max(...values);
  const bounds: number[] = [];
  for (let decade = 1; bounds.length === 0 || (bounds[bounds.length - 1] as number) < max; decade *= 10) bounds.push(decade, 2 * decade, 5 * decade);
  const buckets = bounds.map((le) => ({ le, count: 0 }));
  for (const value of values) {
    const bucket = buckets.find((b) => value <= b.le) ?? buckets[buckets.length - 1];
    if (bucket) bucket.count++;
  }
  while (buckets.length > 1 && (buckets[buckets.length - 2]?.le ?? 0) >= max) buckets.pop();
  const first = buckets.findIndex((b) => b.count > 0);
  return buckets.slice(Math.max(0, first - 1));
}

/** A worker's counters so far: messages each way, devices connected now, connections made and how many resumed TLS. */
export interface WorkerCounters {
  sent: number;
  received: number;
  connected: number;
  connects: number;
  tlsResumed: number;
}

/** PUBLISH packets over the rollout's window: from its start to the last device's convergence. */
export interface RolloutMessages {
  windowMs: number;
  deviceToHub: number;
  hubToDevice: number;
  /** Both ways, per second of the window. */
  perSecond: number;
}

export interface RecorderCounts {
  planned: number;
  connected: number;
  everConnected: number;
  converged: number;
  failed: number;
  sent: number;
  received: number;
  connects: number;
  tlsResumed: number;
}

/**
 * Everything the fleet's workers report, as it happens: first connections with their latency, failures,
 * convergence per device, errors by kind and message counters. The report is computed from these events,
 * never from sampled guesses; only the timeline (for charts) and the hub's CPU and memory are sampled.
 */
export class FleetRecorder {
  readonly connectLatencies: number[] = [];
  readonly firstConnectAt = new Map<string, number>();
  private firstAttemptAt = Number.POSITIVE_INFINITY;
  readonly connectFailures = new ReasonCounter();
  readonly convergedAt = new Map<string, number>();
  private readonly convergenceFailedIds = new Map<string, string>();
  readonly errors = new ReasonCounter();
  retriedConnects = 0;
  reconnects = 0;
  lost = 0;
  rolloutStartedAt: number | undefined;
  /** The message counters when the rollout started, and when the latest convergence arrived. */
  private rolloutFrom: { sent: number; received: number } | undefined;
  private rolloutTo: { sent: number; received: number } | undefined;
  /** Devices whose identity could not be created (they never run). */
  identityFailures = 0;
  private readonly workers = new Map<number, WorkerCounters>();
  readonly timeline: TimelineSample[] = [];

  constructor(
    readonly planned: number,
    readonly startedAt: number,
  ) {}

  record(worker: number, events: readonly DeviceEvent[], counters: WorkerCounters): void {
    this.workers.set(worker, counters);
    for (const event of events) this.apply(event);
    // A device reports convergence after the hub answered its last patch, so this batch's counters hold that exchange.
    if (this.rolloutFrom && events.some((e) => e.kind === 'converged')) this.rolloutTo = this.messageCounts();
  }

  /** The rollout starts now (epoch ms); its message count starts from the counters so far. */
  markRolloutStart(at: number): void {
    this.rolloutStartedAt = at;
    this.rolloutFrom = this.messageCounts();
  }

  private messageCounts(): { sent: number; received: number } {
    let sent = 0;
    let received = 0;
    for (const w of this.workers.values()) {
      sent += w.sent;
      received += w.received;
    }
    return { sent, received };
  }

  /**
   * Messages each way from the rollout's start to the last device's convergence, and their rate over that
   * window (what the benchmark compares with the bare-aedes floor); null before any device converged.
   */
  rolloutMessages(): RolloutMessages | null {
    const start = this.rolloutStartedAt;
    if (start === undefined || !this.rolloutFrom || !this.rolloutTo || this.convergedAt.size === 0) return null;
    // Rounded as the convergence latencies are, so it equals the time to 100 % when every device converged.
    const windowMs = Math.max(0, Math.round((Math.max(...this.convergedAt.values()) - start) * 10) / 10);
    const deviceToHub = this.rolloutTo.sent - this.rolloutFrom.sent;
    const hubToDevice = this.rolloutTo.received - this.rolloutFrom.received;
    const perSecond = windowMs > 0 ? Math.round(((deviceToHub + hubToDevice) / windowMs) * 10_000) / 10 : 0;
    return { windowMs, deviceToHub, hubToDevice, perSecond };
  }

  private apply(event: DeviceEvent): void {
    switch (event.kind) {
      case 'connected':
        this.firstConnectAt.set(event.deviceId, event.at);
        this.connectLatencies.push(event.latencyMs);
        this.firstAttemptAt = Math.min(this.firstAttemptAt, event.at - event.latencyMs);
        if (event.attempts > 1) this.retriedConnects++;
        break;
      case 'failed':
        this.connectFailures.add(event.reason, event.deviceId);
        break;
      case 'reconnected':
        this.reconnects++;
        break;
      case 'lost':
        this.lost++;
        break;
      case 'converged':
        this.convergedAt.set(event.deviceId, event.at);
        this.convergenceFailedIds.delete(event.deviceId);
        break;
      case 'convergenceFailed':
        if (!this.convergenceFailedIds.has(event.deviceId)) this.errors.add(`convergence: ${event.reason}`, event.deviceId);
        this.convergenceFailedIds.set(event.deviceId, event.reason);
        break;
      case 'error':
        this.errors.add(event.reason, event.deviceId);
        break;
    }
  }

  /** Adds failures and errors from outside the event stream (identity creation, steps, a worker's final report). */
  addError(reason: string, deviceId: string): void {
    this.errors.add(reason, deviceId);
  }

  mergeFailures(kind: string, failures: readonly FleetFailure[]): void {
    for (const failure of failures) {
      for (let i = 0; i < failure.count; i++) this.errors.add(`${kind}: ${failure.reason}`, failure.deviceIds[i] ?? failure.deviceIds[0] ?? '');
    }
  }

  counts(): RecorderCounts {
    const { sent, received } = this.messageCounts();
    let connected = 0;
    let connects = 0;
    let tlsResumed = 0;
    for (const w of this.workers.values()) {
      connected += w.connected;
      connects += w.connects;
      tlsResumed += w.tlsResumed;
    }
    return {
      planned: this.planned,
      connected,
      everConnected: this.firstConnectAt.size,
      converged: this.convergedAt.size,
      failed: this.identityFailures + this.connectFailures.total + this.convergenceFailedIds.size,
      sent,
      received,
      connects,
      tlsResumed,
    };
  }

  /** Devices that will not converge any more: failed to connect, or reported a failure. */
  get settledWithoutConverging(): number {
    return this.identityFailures + this.connectFailures.total + this.convergenceFailedIds.size;
  }

  /** Devices that connected but neither converged nor reported a failure by the end (a lost update), by kind for the report. */
  notConverged(): ReasonCounter {
    const missing = new ReasonCounter();
    if (this.rolloutStartedAt === undefined) return missing;
    for (const id of this.firstConnectAt.keys()) {
      if (!this.convergedAt.has(id) && !this.convergenceFailedIds.has(id)) missing.add('convergence: not converged when the run ended', id);
    }
    return missing;
  }

  get convergenceFailures(): number {
    return this.convergenceFailedIds.size;
  }

  connectSummary(): { latencyMs: LatencySummary; ratePerSecond: number; retried: number } {
    const lastConnect = Math.max(...this.firstConnectAt.values());
    const spanS = (lastConnect - this.firstAttemptAt) / 1000;
    const ratePerSecond = this.firstConnectAt.size === 0 || spanS <= 0 ? 0 : Math.round((this.firstConnectAt.size / spanS) * 10) / 10;
    return { latencyMs: summarize(this.connectLatencies), ratePerSecond, retried: this.retriedConnects };
  }

  /** Histograms (latency ms -> devices) of connect and convergence times, for the HTML report's distribution chart. */
  distributions(): { connectMs: HistogramBucket[]; convergenceMs: HistogramBucket[] } {
    const start = this.rolloutStartedAt;
    const convergence = start === undefined ? [] : [...this.convergedAt.values()].map((at) => at - start);
    return { connectMs: histogram(this.connectLatencies), convergenceMs: histogram(convergence) };
  }

  /** Convergence per device from the rollout's start, and when 50/90/99/100 % of the planned devices had converged. */
  convergenceSummary(): { latencyMs: LatencySummary; timeToPercentMs: Record<'50' | '90' | '99' | '100', number | null> } {
    const start = this.rolloutStartedAt;
    const durations = start === undefined ? [] : [...this.convergedAt.values()].map((at) => Math.max(0, Math.round((at - start) * 10) / 10));
    const sorted = [...durations].sort((a, b) => a - b);
    const timeTo = (percent: number): number | null => {
      const needed = Math.ceil((percent / 100) * this.planned);
      if (needed === 0 || sorted.length < needed) return null;
      return sorted[needed - 1] ?? null;
    };
    return { latencyMs: summarize(durations), timeToPercentMs: { '50': timeTo(50), '90': timeTo(90), '99': timeTo(99), '100': timeTo(100) } };
  }
}
