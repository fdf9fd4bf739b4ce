import { randomUUID } from 'node:crypto';
import { HubError, type HubClock, type Timer } from '@hubemu/shared';
import { FEEDBACK_BATCH_MAX, FEEDBACK_MAX_DELIVERY_COUNT } from './c2d-rules.js';
import type { FeedbackBatch, FeedbackQueue, FeedbackRecord } from './c2d-types.js';

/** A record and its id (the key other hub processes know it by). */
interface Item {
  id: string;
  record: FeedbackRecord;
}

interface StoredBatch {
  messageId: string;
  enqueuedAtMs: number;
  expiresAtMs: number;
  items: Item[];
  deliveryCount: number;
  lock?: { token: string; untilMs: number };
}

export interface FeedbackQueueOptions {
  /** A batch no reader took within this long is dropped. */
  ttlMs: number;
  /** A batch taken and not settled within this long is offered again. */
  lockMs: number;
  /** Told the ids of records that left the queue for good (settled, dropped or expired). */
  onGone?: (ids: string[]) => void;
}

/**
 * The hub's one feedback queue (reference messaging §5). Records gather until the next turn of the
 * hub's clock or until a reader takes (the service waits up to 15 s; sooner is allowed and keeps tests
 * quick) and leave in batches of up to 64. A batch is locked while a reader holds it; abandoned ones come back until offered
 * FEEDBACK_MAX_DELIVERY_COUNT times, then are dropped, as are expired ones.
 */
export class HubFeedbackQueue implements FeedbackQueue {
  private gathering: Item[] = [];
  private flushTimer: Timer | undefined;
  private batches: StoredBatch[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly timers = new Set<Timer>();

  constructor(
    private readonly clock: HubClock,
    private readonly options: FeedbackQueueOptions,
  ) {}

  /** Adds a record; it is batched on the next turn (at once when 64 are waiting). */
  add(record: FeedbackRecord, id: string = randomUUID()): void {
    this.gathering.push({ id, record });
    if (this.gathering.length >= FEEDBACK_BATCH_MAX) this.flush();
    else this.flushTimer ??= this.clock.after(0, () => this.flush());
  }

  /** The next batch; records still gathering are batched first (a reader never waits for the turn to end). */
  take(): FeedbackBatch | undefined {
    this.flush();
    const now = this.clock.now();
    this.dropExpired(now);
    const batch = this.batches.find((b) => !b.lock || b.lock.untilMs <= now);
    if (!batch) return undefined;
    batch.lock = { token: randomUUID(), untilMs: now + this.options.lockMs };
    // When the lock runs out the batch is offered again: tell the readers then.
    this.schedule(batch.lock.untilMs, () => this.notify());
    return { lockToken: batch.lock.token, messageId: batch.messageId, enqueuedAtMs: batch.enqueuedAtMs, records: batch.items.map((item) => ({ ...item.record })) };
  }

  complete(lockToken: string): void {
    this.remove([this.locked(lockToken)]);
  }

  abandon(lockToken: string): void {
    const batch = this.locked(lockToken);
    delete batch.lock;
    batch.deliveryCount++;
    if (batch.deliveryCount >= FEEDBACK_MAX_DELIVERY_COUNT) this.remove([batch]);
    else this.notify();
  }

  reject(lockToken: string): void {
    this.remove([this.locked(lockToken)]);
  }

  onAvailable(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Drops the feedback of a deleted device, as the service does, from records not yet taken; returns their ids. */
  dropDevice(deviceId: string): string[] {
    return this.drop((item) => item.record.deviceId === deviceId);
  }

  /** Drops a record not yet taken (another hub process delivered it). */
  forget(id: string): void {
    this.drop((item) => item.id === id);
  }

  /** Batches waiting or locked (inspection and tests). */
  get batchCount(): number {
    return this.batches.length;
  }

  /** Forgets everything (reset, stop). */
  clear(): void {
    this.flushTimer?.cancel();
    this.flushTimer = undefined;
    for (const timer of this.timers) timer.cancel();
    this.timers.clear();
    this.gathering = [];
    this.batches = [];
  }

  private flush(): void {
    this.flushTimer?.cancel();
    this.flushTimer = undefined;
    if (this.gathering.length === 0) return;
    const now = this.clock.now();
    while (this.gathering.length > 0) {
      const items = this.gathering.splice(0, FEEDBACK_BATCH_MAX);
      const batch: StoredBatch = { messageId: randomUUID(), enqueuedAtMs: now, expiresAtMs: now + this.options.ttlMs, items, deliveryCount: 0 };
      this.batches.push(batch);
      this.schedule(batch.expiresAtMs, () => this.dropExpired(this.clock.now()));
    }
    this.notify();
  }

  private schedule(atMs: number, fn: () => void): void {
    const timer = this.clock.at(atMs, () => {
      this.timers.delete(timer);
      fn();
    });
    this.timers.add(timer);
  }

  private dropExpired(now: number): void {
    this.remove(this.batches.filter((b) => b.expiresAtMs <= now && (b.lock === undefined || b.lock.untilMs <= now)));
  }

  /** Drops the records `matches` picks from those gathering and from batches no reader holds; returns their ids. */
  private drop(matches: (item: Item) => boolean): string[] {
    const dropped: string[] = [];
    const keep = (items: Item[]): Item[] =>
      items.filter((item) => {
        if (!matches(item)) return true;
        dropped.push(item.id);
        return false;
      });
    this.gathering = keep(this.gathering);
    for (const batch of this.batches) if (!batch.lock) batch.items = keep(batch.items);
    this.batches = this.batches.filter((b) => b.items.length > 0);
    return dropped;
  }

  private locked(lockToken: string): StoredBatch {
    const now = this.clock.now();
    const batch = this.batches.find((b) => b.lock?.token === lockToken);
    if (!batch?.lock || batch.lock.untilMs <= now) throw new HubError('DeviceMessageLockLost', `The feedback lock '${lockToken}' is unknown or has expired.`);
    return batch;
  }

  private remove(gone: StoredBatch[]): void {
    if (gone.length === 0) return;
    this.batches = this.batches.filter((b) => !gone.includes(b));
    this.options.onGone?.(gone.flatMap((b) => b.items.map((item) => item.id)));
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
