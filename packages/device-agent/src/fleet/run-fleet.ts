import { getOwn, setOwn } from '@hubemu/shared';
import type { ConvergenceRecord } from '../behaviours/desired-dispatcher.js';
import { SimulatedDevice } from '../behaviours/simulated-device.js';
import { DeviceClient, type DeviceClientOptions } from '../client/device-client.js';
import { createTrafficCounters, type TrafficCounters } from '../client/traffic.js';
import { describeFailure, isDeviceClientError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { createRandom, deriveSeed, jittered } from '../scheduler/random.js';
import { delay, type Scheduler } from '../scheduler/scheduler.js';
import { defaultScheduler } from '../scheduler/shared-scheduler.js';
import { ConnectPacer } from './connect-pacer.js';
import { planFleet, type FleetCredentials, type FleetGroup, type PlannedDevice } from './fleet-plan.js';
import type { FleetReport } from './fleet-report.js';
import { ReasonCounter, summarize } from './latency.js';

/** Client options every device of the fleet shares (transport, port, ca, keepalive, timeouts...). */
export type FleetClientOptions = Omit<
  DeviceClientOptions,
  'connectionString' | 'hostName' | 'deviceId' | 'moduleId' | 'sharedAccessKey' | 'sharedAccessKeyName' | 'sharedAccessSignature' | 'scheduler' | 'random' | 'logger' | 'traffic'
>;

/** What happened to one device, as it happens (for a runner that reports over time). `at` is on the scheduler clock. */
export type FleetDeviceEvent =
  | { kind: 'connected'; deviceId: string; at: number; latencyMs: number; attempts: number }
  | { kind: 'reconnected'; deviceId: string; at: number }
  | { kind: 'lost'; deviceId: string; at: number }
  | { kind: 'failed'; deviceId: string; at: number; reason: string };

export interface FleetOptions extends FleetCredentials {
  devices: readonly FleetGroup[];
  client?: FleetClientOptions;
  /** New connections per second. Default 200. */
  connectRate?: number;
  /** Connection attempts in flight at once. Default 100. */
  maxConcurrentConnects?: number;
  /** Attempts at a device's first connection before it counts as failed (refusals of its credentials are not retried). Default 1. */
  connectAttempts?: number;
  /** Pause before the second attempt; doubles per attempt (jittered ±20%). Default 500 ms. */
  connectBackoffMs?: number;
  /** Called as devices connect, reconnect, lose their connection or fail to come up. */
  onDeviceEvent?: (event: FleetDeviceEvent) => void;
  /** Seed for every random choice (stage durations, jitter, failures). Default 1. */
  seed?: number;
  scheduler?: Scheduler;
  logger?: Logger;
  signal?: AbortSignal;
  /** Called for every device once it is up (to watch or drive it in a test). */
  onDeviceReady?: (device: SimulatedDevice) => void;
}

export interface RunFleetOptions extends FleetOptions {
  /** How long to keep the fleet running after every device has come up (or failed). Default 0. */
  durationMs?: number;
  /** Instead of a fixed duration: run until this holds (checked every pollMs), at most timeoutMs. */
  until?: (report: FleetReport) => boolean;
  pollMs?: number;
  timeoutMs?: number;
}

/** A running fleet. */
export interface Fleet {
  readonly size: number;
  /** Resolves once every device has come up or failed. */
  readonly settled: Promise<void>;
  report(): FleetReport;
  /** Polls report() until `predicate` holds (rejects after timeoutMs, default 60 s). */
  waitFor(predicate: (report: FleetReport) => boolean, options?: { timeoutMs?: number; pollMs?: number }): Promise<FleetReport>;
  /** The device with that id, once it is up. */
  device(deviceId: string): SimulatedDevice | undefined;
  /** Stops connecting, closes every device and returns the final report. */
  stop(): Promise<FleetReport>;
}

interface DeviceSlot {
  plan: PlannedDevice;
  state: 'pending' | 'connecting' | 'ready' | 'failed';
  client: DeviceClient | undefined;
  device: SimulatedDevice | undefined;
}

class FleetRun implements Fleet {
  readonly settled: Promise<void>;
  private readonly slots: DeviceSlot[];
  private readonly byId = new Map<string, DeviceSlot>();
  private readonly traffic: TrafficCounters = createTrafficCounters();
  private readonly connectTimes: number[] = [];
  private readonly readyTimes: number[] = [];
  private readonly convergenceTimes: number[] = [];
  private readonly failures = new ReasonCounter();
  private readonly errors = new ReasonCounter();
  private applied = 0;
  private convergenceFailed = 0;
  private lost = 0;
  private reconnects = 0;
  private readonly startedAt: number;
  private readonly stopping = new AbortController();
  private readonly scheduler: Scheduler;
  private readonly logger: Logger;

  constructor(
    plan: PlannedDevice[],
    private readonly options: FleetOptions,
  ) {
    this.scheduler = options.scheduler ?? defaultScheduler();
    this.logger = options.logger ?? silentLogger;
    this.startedAt = this.scheduler.now();
    this.slots = plan.map((p) => ({ plan: p, state: 'pending', client: undefined, device: undefined }));
    for (const slot of this.slots) this.byId.set(slot.plan.deviceId, slot);
    options.signal?.addEventListener('abort', () => this.stopping.abort(), { once: true });
    this.settled = this.connectAll();
  }

  get size(): number {
    return this.slots.length;
  }

  device(deviceId: string): SimulatedDevice | undefined {
    return this.byId.get(deviceId)?.device;
  }

  async waitFor(predicate: (report: FleetReport) => boolean, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<FleetReport> {
    const deadline = this.scheduler.now() + (options.timeoutMs ?? 60_000);
    for (;;) {
      const report = this.report();
      if (predicate(report)) return report;
      if (this.scheduler.now() >= deadline) throw new Error(`The fleet did not reach the condition within ${options.timeoutMs ?? 60_000} ms.`);
      await delay(this.scheduler, options.pollMs ?? 100);
    }
  }

  async stop(): Promise<FleetReport> {
    this.stopping.abort();
    await this.settled;
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.device?.stop();
        await slot.client?.close().catch(() => undefined);
      }),
    );
    const report = this.report();
    this.logger.info({ devices: report.devices, connectMs: report.connectMs, convergence: report.convergence }, 'fleet stopped');
    return report;
  }

  report(): FleetReport {
    const elapsedMs = this.scheduler.now() - this.startedAt;
    const counts = { planned: this.slots.length, connected: 0, ready: 0, failed: 0, pending: 0 };
    const byModel: FleetReport['byModel'] = {};
    let inFlight = 0;
    for (const slot of this.slots) {
      let model = getOwn(byModel, slot.plan.model);
      if (!model) setOwn(byModel, slot.plan.model, (model = { planned: 0, connected: 0, ready: 0, failed: 0 }));
      model.planned++;
      const connected = slot.client?.isConnected === true;
      if (connected) {
        counts.connected++;
        model.connected++;
      }
      if (slot.state === 'ready') {
        counts.ready++;
        model.ready++;
        inFlight += slot.device?.inFlight ?? 0;
      } else if (slot.state === 'failed') {
        counts.failed++;
        model.failed++;
      } else counts.pending++;
    }
    const seconds = Math.max(elapsedMs, 1) / 1_000;
    return {
      elapsedMs,
      devices: counts,
      connectMs: summarize(this.connectTimes),
      readyMs: summarize(this.readyTimes),
      failures: this.failures.list(),
      errors: this.errors.list(),
      connectionsLost: this.lost,
      reconnects: this.reconnects,
      messages: {
        ...this.traffic,
        sentPerSecond: Math.round((this.traffic.sent / seconds) * 10) / 10,
        receivedPerSecond: Math.round((this.traffic.received / seconds) * 10) / 10,
      },
      convergence: { ...summarize(this.convergenceTimes), applied: this.applied, failed: this.convergenceFailed, inFlight },
      byModel,
    };
  }

  private async connectAll(): Promise<void> {
    const pacer = new ConnectPacer(this.scheduler, this.options.connectRate ?? 200, this.options.maxConcurrentConnects ?? 100);
    const attempts: Array<Promise<void>> = [];
    for (const slot of this.slots) {
      if (this.stopping.signal.aborted) break;
      let release: () => void;
      try {
        release = await pacer.acquire(this.stopping.signal);
      } catch {
        break;
      }
      attempts.push(this.bringUp(slot).finally(release));
    }
    await Promise.all(attempts);
  }

  private async bringUp(slot: DeviceSlot): Promise<void> {
    const { plan } = slot;
    const seed = this.options.seed ?? 1;
    slot.state = 'connecting';
    const started = this.scheduler.now();
    let client: DeviceClient | undefined;
    try {
      client = new DeviceClient({
        ...this.options.client,
        ...plan.credentials,
        scheduler: this.scheduler,
        random: createRandom(deriveSeed(seed, `client:${plan.deviceId}`)),
        logger: this.logger,
        traffic: this.traffic,
      });
      slot.client = client;
      client.on('error', (error) => this.errors.add(describeFailure(error), plan.deviceId));
      const emit = this.options.onDeviceEvent;
      client.on('disconnect', (info) => {
        if (info.reason !== 'lost') return;
        this.lost++;
        emit?.({ kind: 'lost', deviceId: plan.deviceId, at: this.scheduler.now() });
      });
      client.on('connect', (info) => {
        if (!info.reconnected) return;
        this.reconnects++;
        emit?.({ kind: 'reconnected', deviceId: plan.deviceId, at: this.scheduler.now() });
      });
      const attempts = await this.openWithBackoff(client, plan.deviceId);
      const latencyMs = this.scheduler.now() - started;
      this.connectTimes.push(latencyMs);
      emit?.({ kind: 'connected', deviceId: plan.deviceId, at: this.scheduler.now(), latencyMs, attempts });
      const device = new SimulatedDevice(client, { behaviours: plan.behaviours, scheduler: this.scheduler, seed, logger: this.logger });
      device.on('converged', (record) => this.recordConvergence(record));
      device.on('error', (error) => this.errors.add(describeFailure(error), plan.deviceId));
      await device.start();
      slot.device = device;
      slot.state = 'ready';
      this.readyTimes.push(this.scheduler.now() - started);
      this.options.onDeviceReady?.(device);
    } catch (error) {
      slot.state = 'failed';
      this.failures.add(describeFailure(error), plan.deviceId);
      this.options.onDeviceEvent?.({ kind: 'failed', deviceId: plan.deviceId, at: this.scheduler.now(), reason: describeFailure(error) });
      this.logger.warn({ deviceId: plan.deviceId, error: error instanceof Error ? error.message : String(error) }, 'device failed to come up');
      await client?.close().catch(() => undefined);
    }
  }

  /** Opens the client, retrying with exponential backoff up to connectAttempts; resolves with the attempts it took. */
  private async openWithBackoff(client: DeviceClient, deviceId: string): Promise<number> {
    const attempts = Math.max(1, this.options.connectAttempts ?? 1);
    const random = createRandom(deriveSeed(this.options.seed ?? 1, `backoff:${deviceId}`));
    let pause = this.options.connectBackoffMs ?? 500;
    for (let attempt = 1; ; attempt++) {
      try {
        await client.open();
        return attempt;
      } catch (error) {
        const refused = isDeviceClientError(error) && error.kind === 'Unauthorized';
        if (attempt >= attempts || refused || this.stopping.signal.aborted) throw error;
        await delay(this.scheduler, jittered(random, pause, 0.2), this.stopping.signal);
        pause *= 2;
      }
    }
  }

  private recordConvergence(record: ConvergenceRecord): void {
    if (record.outcome === 'applied') this.applied++;
    else this.convergenceFailed++;
    this.convergenceTimes.push(record.durationMs);
  }
}

/**
 * Starts a fleet of virtual devices: plans them (ids and credentials; the caller has created the devices),
 * connects them at `connectRate` with at most `maxConcurrentConnects` in flight, and runs each model's
 * behaviours. Returns at once; `settled` resolves when every device is up or has failed.
 */
export function startFleet(options: FleetOptions): Fleet {
  const plan = planFleet(options.devices, options);
  return new FleetRun(plan, options);
}

/**
 * Runs a fleet and reports: connects every device, keeps them running for `durationMs` (or `until` a
 * condition holds), stops them and returns the report.
 */
export async function runFleet(options: RunFleetOptions): Promise<FleetReport> {
  const fleet = startFleet(options);
  const scheduler = options.scheduler ?? defaultScheduler();
  await fleet.settled;
  if (options.until) {
    // A timeout is not an error here: the report says how far the fleet got.
    await fleet.waitFor(options.until, { timeoutMs: options.timeoutMs ?? 60_000, pollMs: options.pollMs ?? 100 }).catch(() => undefined);
  } else if ((options.durationMs ?? 0) > 0) {
    await delay(scheduler, options.durationMs ?? 0, options.signal).catch(() => undefined);
  }
  return fleet.stop();
}
