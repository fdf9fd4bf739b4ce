import { EventEmitter } from 'node:events';
import type { JsonObject } from '@hubemu/shared';
import { delay, type Scheduler } from '../scheduler/scheduler.js';
import type { DesiredPatch, TwinDocument } from './twin-messages.js';
import { TwinSyncState, type DesiredChange } from './twin-sync-state.js';

export interface RequestOptions {
  /** Time allowed for the hub's answer (default: the client's requestTimeoutMs). */
  timeoutMs?: number;
}

export interface ReportedPatchOptions extends RequestOptions {
  /** Sent as `&$version=` (the reported version this patch is based on), as Java's SDK does. */
  version?: number;
}

/** What DeviceTwin needs from a client (DeviceClient provides it). */
export interface TwinChannel {
  readonly isConnected: boolean;
  getTwin(options?: RequestOptions): Promise<TwinDocument>;
  updateReported(patch: JsonObject, options?: ReportedPatchOptions): Promise<{ version: number }>;
  onDesired(handler: (patch: DesiredPatch) => void): Promise<() => void>;
  on(event: 'connect', listener: (info: { reconnected: boolean }) => void): unknown;
  off(event: 'connect', listener: (info: { reconnected: boolean }) => void): unknown;
}

export type DeviceTwinEvents = {
  /** A fresh desired change (a full sync, or a notification newer than the copy). Stale ones never arrive. */
  desired: [change: DesiredChange];
  /** A reported patch the hub accepted (sent through this twin or the client). */
  reported: [patch: JsonObject, version: number | undefined];
  /** A GET failed; the twin retries while connected and on every reconnect. */
  error: [error: Error];
};

export interface DeviceTwinOptions {
  scheduler: Scheduler;
  /** Delay before retrying a failed GET while still connected. */
  retryDelayMs?: number;
  /** GET again when a notification shows that versions were skipped (default true). */
  resyncOnGap?: boolean;
}

/**
 * A local copy of the device's twin kept current the way the reference's reconnect flow says: subscribe
 * to desired, GET, drop notifications whose `$version` is not above the GET's desired `$version`.
 * It syncs again after every reconnect. Create it with `DeviceClient.twin()`.
 */
export class DeviceTwin extends EventEmitter<DeviceTwinEvents> {
  private readonly state = new TwinSyncState();
  private unsubscribe: (() => void) | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly retry = new AbortController();
  private readonly onConnect = (info: { reconnected: boolean }): void => {
    if (info.reconnected) this.refreshInBackground();
  };

  constructor(
    private readonly channel: TwinChannel,
    private readonly options: DeviceTwinOptions,
  ) {
    super();
  }

  /** The desired properties, without `$version`. Treat as read-only. */
  get desired(): JsonObject {
    return this.state.desired;
  }

  /** The reported properties, without `$version`, including the patches this twin sent. */
  get reported(): JsonObject {
    return this.state.reported;
  }

  get desiredVersion(): number {
    return this.state.desiredVersion;
  }

  get reportedVersion(): number {
    return this.state.reportedVersion;
  }

  get synced(): boolean {
    return this.state.synced;
  }

  /** Subscribes to desired notifications, then syncs. Called once by DeviceClient.twin(). */
  async start(): Promise<void> {
    this.unsubscribe = await this.channel.onDesired((patch) => this.receive(patch));
    this.channel.on('connect', this.onConnect);
    await this.refresh();
  }

  /** GETs the twin and replaces the copy (notifications meanwhile are held, then filtered by version). */
  refresh(options?: RequestOptions): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = this.runRefresh(options).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Sends a reported patch and records it in the local copy once the hub accepts it. */
  async updateReported(patch: JsonObject, options?: ReportedPatchOptions): Promise<{ version: number }> {
    const result = await this.channel.updateReported(patch, options);
    if (this.state.reportedVersion < result.version) this.recordReported(patch, result.version);
    return result;
  }

  /**
   * Records a reported patch the hub accepted. DeviceClient calls it for every patch it sends, so the copy
   * stays right whichever API sent it (applying a merge patch twice changes nothing).
   */
  recordReported(patch: JsonObject, version: number | undefined): void {
    if (this.stopped) return;
    this.state.applyReported(patch, version);
    this.emit('reported', patch, version);
  }

  /** Stops following the twin (the client keeps its subscription). */
  stop(): void {
    this.stopped = true;
    this.retry.abort();
    this.unsubscribe?.();
    this.channel.off('connect', this.onConnect);
  }

  private async runRefresh(options?: RequestOptions): Promise<void> {
    do {
      this.again = false;
      this.state.beginSync();
      const doc = await this.channel.getTwin(options);
      if (this.stopped) return;
      for (const change of this.state.completeSync(doc)) this.emitChange(change);
    } while (this.again && !this.stopped);
  }

  private receive(patch: DesiredPatch): void {
    if (this.stopped) return;
    const verdict = this.state.receiveDesired(patch);
    if (verdict.action === 'applied') this.emitChange(verdict.change);
  }

  private emitChange(change: DesiredChange): void {
    this.emit('desired', change);
    if (change.gap && change.source === 'patch' && this.options.resyncOnGap !== false) this.refreshInBackground();
  }

  private refreshInBackground(): void {
    if (this.stopped) return;
    this.refresh().catch(async (error: unknown) => {
      if (this.listenerCount('error') > 0) this.emit('error', error instanceof Error ? error : new Error(String(error)));
      if (this.stopped || !this.channel.isConnected) return;
      try {
        await delay(this.options.scheduler, this.options.retryDelayMs ?? 2_000, this.retry.signal);
        this.refreshInBackground();
      } catch {
        // stopped
      }
    });
  }
}
