import { randomUUID } from 'node:crypto';
import { HubError } from '@hubemu/shared';
import { C2D_LOCK_MS, C2D_MAX_PENDING } from './c2d-rules.js';
import type { C2dLockedMessage, C2dMessage, FeedbackStatus } from './c2d-types.js';

/** A message and, while a device holds it (Invisible), its lock. */
interface Entry {
  message: C2dMessage;
  lock?: { token: string; untilMs: number };
}

/** A message that left the queue for good, and why (its feedback status). */
export interface Settled {
  message: C2dMessage;
  status: FeedbackStatus;
}

/**
 * One device's C2D queue, pure (time is passed in): Enqueued and Invisible (locked) messages in
 * sequence order. Completed and dead-lettered ones leave it and are returned to the caller with their
 * status. Locks last C2D_LOCK_MS; a lock that has run out is lost even before `sweep` returns its
 * message (settling it is 412002 DeviceMessageLockLost). The delivery count grows only on abandon.
 */
export class DeviceQueue {
  private readonly entries: Entry[] = [];

  /** `nextSequence` continues a queue restored from the store. */
  constructor(
    readonly deviceId: string,
    private nextSequence = 1,
  ) {}

  /** Enqueued + locked: what counts toward the depth limit. */
  get size(): number {
    return this.entries.length;
  }

  get sequence(): number {
    return this.nextSequence;
  }

  /** Takes the next sequence number, or throws 403004 when 50 messages are pending. */
  reserve(): number {
    if (this.entries.length >= C2D_MAX_PENDING) {
      throw new HubError('DeviceMaximumQueueDepthExceeded', `Device '${this.deviceId}' has ${C2D_MAX_PENDING} cloud-to-device messages pending; the queue is full.`);
    }
    return this.nextSequence++;
  }

  /** Adds a message (its sequence number from `reserve`, or restored with the lock it had), or replaces the one with its sequence number. */
  add(message: C2dMessage, lock?: { token: string; untilMs: number }): void {
    const entry: Entry = lock ? { message, lock } : { message };
    const i = this.entries.findIndex((e) => e.message.sequenceNumber === message.sequenceNumber);
    if (i >= 0) this.entries[i] = entry;
    else {
      this.entries.push(entry);
      this.entries.sort((a, b) => a.message.sequenceNumber - b.message.sequenceNumber);
    }
    this.follow(message.sequenceNumber + 1);
  }

  /** Removes the message with this sequence number (another hub process settled it); false when there was none. */
  drop(sequenceNumber: number): boolean {
    const i = this.entries.findIndex((e) => e.message.sequenceNumber === sequenceNumber);
    if (i < 0) return false;
    this.entries.splice(i, 1);
    return true;
  }

  /** Another hub process reserved sequence numbers below `next`: they are not given again. */
  follow(next: number): void {
    if (next > this.nextSequence) this.nextSequence = next;
  }

  /** The pending messages in sequence order, with their locks. */
  list(): Array<{ message: C2dMessage; lockedUntilMs?: number }> {
    return this.entries.map((e) => ({ message: e.message, ...(e.lock ? { lockedUntilMs: e.lock.untilMs } : {}) }));
  }

  /** Locks the first Enqueued message that has not expired, or returns undefined. */
  lockNext(nowMs: number): C2dLockedMessage | undefined {
    const entry = this.entries.find((e) => !this.isLocked(e, nowMs) && e.message.expiresAtMs > nowMs);
    if (!entry) return undefined;
    entry.lock = { token: randomUUID(), untilMs: nowMs + C2D_LOCK_MS };
    return { message: entry.message, lockToken: entry.lock.token, lockedUntilMs: entry.lock.untilMs };
  }

  /** The device completed it: gone, Success. */
  complete(lockToken: string, nowMs: number): Settled {
    return { message: this.remove(this.locked(lockToken, nowMs)), status: 'Success' };
  }

  /** The device rejected it: dead-lettered, Rejected. */
  reject(lockToken: string, nowMs: number): Settled {
    return { message: this.remove(this.locked(lockToken, nowMs)), status: 'Rejected' };
  }

  /**
   * The device abandoned it: its delivery count grows and it is Enqueued again, or dead-lettered
   * (DeliveryCountExceeded) once the count passes `maxDeliveryCount`. Returns the settled one, if any.
   */
  abandon(lockToken: string, nowMs: number, maxDeliveryCount: number): { message: C2dMessage; settled?: Settled } {
    const entry = this.locked(lockToken, nowMs);
    entry.message = { ...entry.message, deliveryCount: entry.message.deliveryCount + 1 };
    delete entry.lock;
    if (entry.message.deliveryCount < maxDeliveryCount) return { message: entry.message };
    return { message: entry.message, settled: { message: this.remove(entry), status: 'DeliveryCountExceeded' } };
  }

  /** A plane gives it back unsettled (the device went away): Enqueued again, its count unchanged. Undefined when the lock was gone. */
  release(lockToken: string): C2dMessage | undefined {
    const entry = this.entries.find((e) => e.lock?.token === lockToken);
    if (!entry) return undefined;
    delete entry.lock;
    return entry.message;
  }

  /** Returns messages whose lock ran out to Enqueued (not counted) and (when `expire`) dead-letters Enqueued ones that expired. */
  sweep(nowMs: number, expire = true): { expired: Settled[]; unlocked: number } {
    let unlocked = 0;
    for (const entry of this.entries) {
      if (entry.lock && entry.lock.untilMs <= nowMs) {
        delete entry.lock;
        unlocked++;
      }
    }
    if (!expire) return { expired: [], unlocked };
    const expired = this.entries.filter((e) => !e.lock && e.message.expiresAtMs <= nowMs).map((e) => ({ message: this.remove(e), status: 'Expired' as const }));
    return { expired, unlocked };
  }

  /** Empties the queue (the REST purge): every message dead-lettered, Purged. */
  purge(): Settled[] {
    return this.entries.splice(0).map((e) => ({ message: e.message, status: 'Purged' as const }));
  }

  /** When `sweep` next has work: the earliest lock end or (unless `locksOnly`) expiry; undefined when there is none. */
  nextDeadline(locksOnly = false): number | undefined {
    let next: number | undefined;
    for (const e of this.entries) {
      if (locksOnly && !e.lock) continue;
      const due = e.lock ? e.lock.untilMs : e.message.expiresAtMs;
      if (next === undefined || due < next) next = due;
    }
    return next;
  }

  private isLocked(entry: Entry, nowMs: number): boolean {
    return entry.lock !== undefined && entry.lock.untilMs > nowMs;
  }

  private locked(lockToken: string, nowMs: number): Entry {
    const entry = this.entries.find((e) => e.lock?.token === lockToken);
    if (!entry || !this.isLocked(entry, nowMs)) {
      throw new HubError('DeviceMessageLockLost', `The lock '${lockToken}' of device '${this.deviceId}' is unknown or has expired.`);
    }
    return entry;
  }

  private remove(entry: Entry): C2dMessage {
    const i = this.entries.indexOf(entry);
    if (i >= 0) this.entries.splice(i, 1);
    return entry.message;
  }
}
