import { randomUUID } from 'node:crypto';
import { HubError, type HubClock, type HubOptions, type Timer } from '@hubemu/shared';
import type { DeviceLinks } from '../device-link.js';
import type { DeviceEntry } from '../registry/device-entry.js';
import type { DeviceTable } from '../registry/device-table.js';
import type { Collection, RemoteWrite, Store } from '../store/collection.js';
import { admitC2d, feedbackDescription, wantsFeedback } from './c2d-rules.js';
import { fromStored, toStored, type StoredC2dMessage } from './c2d-store.js';
import type { C2dLockedMessage, C2dMessage, C2dSendInput, C2dSendSide, FeedbackRecord } from './c2d-types.js';
import { DeviceQueue, type Settled } from './device-queue.js';
import { HubFeedbackQueue } from './feedback-queue.js';

export interface C2dServiceDeps {
  table: DeviceTable;
  links: DeviceLinks;
  clock: HubClock;
  store: Store;
  options: HubOptions['c2d'];
  /** On a store shared by hub processes: whether this process leads the cluster (only the leader dead-letters expired messages). */
  leading?: () => boolean;
}

/**
 * Cloud-to-device messages (reference messaging §4–§5): one queue per device, kept in the store so
 * queued messages survive a restart (locks do not: after a restart every message is Enqueued), the
 * hub's feedback queue, and delivery. Devices that receive by push (MQTT) get messages through their
 * plane's `DeviceLink` as soon as they can receive them; devices that poll (HTTPS) call `receive`.
 * Every timer (expiry, lock ends) runs on the hub's clock.
 *
 * On a store shared by hub processes (docs/scale-out.md) the queues here follow the store: a message
 * sent through any process reaches the device wherever it is connected, locks are stored with their
 * message so a device may settle through any process, feedback records are stored until a reader on
 * some process settles them, and only the leader dead-letters expired messages (once for the cluster).
 */
export class C2dService implements C2dSendSide {
  readonly feedback: HubFeedbackQueue;
  private readonly queues = new Map<string, DeviceQueue>();
  private readonly timers = new Map<string, { atMs: number; timer: Timer }>();
  private readonly messages: Collection<StoredC2dMessage>;
  private readonly sequences: Collection<number>;
  private readonly feedbackRecords: Collection<FeedbackRecord>;
  /** Whether other hub processes share the store. */
  private readonly shared: boolean;
  /** Devices being pushed to right now: a link that settles synchronously must not re-enter. */
  private readonly pushing = new Set<string>();

  constructor(private readonly deps: C2dServiceDeps) {
    this.shared = deps.store.replicated;
    this.feedback = new HubFeedbackQueue(deps.clock, {
      ttlMs: deps.options.feedbackTtlMs,
      lockMs: deps.options.feedbackLockMs,
      ...(this.shared ? { onGone: (ids: string[]) => this.feedbackGone(ids) } : {}),
    });
    this.messages = deps.store.collection<StoredC2dMessage>('c2dMessages');
    this.sequences = deps.store.collection<number>('c2dSequences');
    this.feedbackRecords = deps.store.collection<FeedbackRecord>('c2dFeedback');
    this.load();
    // Devices' `cloudToDeviceMessageCount` is the length of their queue, read when rendered.
    deps.table.countMessages((key) => this.queues.get(key)?.size ?? 0);
    // A deleted device's queue goes with it. The table says so on every delete (bulk ones too), so the
    // registry renders the deleted twin for `identityDeleted` only when someone there wants it.
    deps.table.onChange((key, entry, remote) => {
      if (entry === undefined && !key.includes('/')) this.deviceDeleted(key, remote);
    });
    // A device that connects or subscribes gets what waits for it.
    deps.links.onChange((key) => this.deliverPending(key));
    if (this.shared) deps.store.onRemote((write) => this.followRemote(write));
  }

  /** Enqueues a message as one unit of the store: on a shared store, the message once committed. */
  send(input: C2dSendInput): C2dMessage | Promise<C2dMessage> {
    return this.deps.store.transaction(() => this.enqueue(input));
  }

  /** Enqueues a message for its device (within the caller's unit, if any). */
  enqueue(input: C2dSendInput): C2dMessage {
    const entry = this.device(input.deviceId);
    const now = this.deps.clock.now();
    const expiresAtMs = admitC2d(input, now, this.deps.options.defaultTtlMs);
    const queue = this.queue(input.deviceId);
    const message: C2dMessage = {
      ...input,
      properties: { ...input.properties },
      body: Buffer.from(input.body),
      sequenceNumber: queue.reserve(),
      enqueuedAtMs: now,
      expiresAtMs,
      deliveryCount: 0,
      deviceGenerationId: entry.generationId,
      senderSetExpiry: input.expiresAtMs !== undefined,
    };
    this.messages.put(storeKey(message), toStored(message));
    this.sequences.put(input.deviceId, queue.sequence);
    queue.add(message);
    this.deps.table.changed(input.deviceId);
    this.arm(input.deviceId);
    // Pushed once committed: a unit another process overtook runs again, and must not have pushed already.
    this.deps.store.afterCommit(() => this.deliverPending(input.deviceId));
    return message;
  }

  /** A polling device (HTTPS) takes the next message, locked for a minute; undefined when none is Enqueued. */
  receive(deviceId: string): C2dLockedMessage | undefined {
    this.device(deviceId);
    const queue = this.queues.get(deviceId);
    if (!queue) return undefined;
    this.sweep(deviceId);
    const locked = queue.lockNext(this.deps.clock.now());
    if (locked) {
      this.storeLock(locked);
      this.arm(deviceId);
    }
    return locked;
  }

  /** The device completed the message (MQTT PUBACK, HTTPS DELETE): 412002 when the lock is unknown or has expired. */
  complete(deviceId: string, lockToken: string): void {
    this.settle(this.locking(deviceId, lockToken).complete(lockToken, this.deps.clock.now()));
  }

  /** The device rejected it: dead-lettered (Rejected). */
  reject(deviceId: string, lockToken: string): void {
    this.settle(this.locking(deviceId, lockToken).reject(lockToken, this.deps.clock.now()));
  }

  /** The device abandoned it: Enqueued again with its delivery count one higher, or dead-lettered (DeliveryCountExceeded). */
  abandon(deviceId: string, lockToken: string): void {
    const { message, settled } = this.locking(deviceId, lockToken).abandon(lockToken, this.deps.clock.now(), this.deps.options.maxDeliveryCount);
    if (settled) this.settle(settled);
    else this.messages.put(storeKey(message), toStored(message));
    this.deliverPending(deviceId);
  }

  /** A plane gives a message back unsettled (its device went away): Enqueued again, not counted. Unknown locks are ignored. */
  release(deviceId: string, lockToken: string): void {
    const message = this.queues.get(deviceId)?.release(lockToken);
    if (message) {
      this.storeUnlocked(message);
      this.arm(deviceId);
      this.deliverPending(deviceId);
    }
  }

  /** Empties a device's queue (`DELETE /devices/{id}/commands`): each message dead-lettered (Purged). Returns how many. */
  purge(deviceId: string): number {
    this.device(deviceId);
    const queue = this.queues.get(deviceId);
    if (!queue) return 0;
    const purged = queue.purge();
    for (const settled of purged) this.settle(settled);
    return purged.length;
  }

  /** The device's pending messages (Enqueued and locked), in sequence order; 404 for an unknown device. */
  pending(deviceId: string): Array<C2dMessage & { lockedUntilMs?: number }> {
    this.device(deviceId);
    return (this.queues.get(deviceId)?.list() ?? []).map(({ message, lockedUntilMs }) => ({
      ...message,
      properties: { ...message.properties },
      body: Buffer.from(message.body),
      ...(lockedUntilMs === undefined ? {} : { lockedUntilMs }),
    }));
  }

  /** Pushes Enqueued messages to the device's link for `cloudToDevice`, if it has one (each locked until its plane settles it). */
  deliverPending(deviceId: string): void {
    const queue = this.queues.get(deviceId);
    if (!queue || queue.size === 0 || this.pushing.has(deviceId)) return;
    const link = this.deps.links.find(deviceId, 'cloudToDevice');
    if (!link?.deliverC2d) return;
    this.pushing.add(deviceId);
    try {
      for (let locked = queue.lockNext(this.deps.clock.now()); locked; locked = queue.lockNext(this.deps.clock.now())) {
        // Stored before it is handed over: a link may settle it at once, and the lock must not outlive that.
        this.storeLock(locked);
        if (!link.deliverC2d(deviceId, locked)) {
          const message = queue.release(locked.lockToken);
          if (message) this.storeUnlocked(message);
          break;
        }
      }
    } finally {
      this.pushing.delete(deviceId);
    }
    this.arm(deviceId);
  }

  /** Empties every queue and the feedback (the store is cleared by the core). */
  reset(): void {
    this.stop();
    this.queues.clear();
  }

  /** Cancels every timer. */
  stop(): void {
    for (const { timer } of this.timers.values()) timer.cancel();
    this.timers.clear();
    this.feedback.clear();
  }

  /** Re-arms every queue's timer: a process that became the leader dead-letters what expired meanwhile. */
  leadershipChanged(): void {
    for (const deviceId of this.queues.keys()) this.arm(deviceId);
  }

  /** The device was deleted; here, or through another process, which deleted what the store held of it. */
  private deviceDeleted(deviceId: string, remote: boolean): void {
    const purged = this.queues.get(deviceId)?.purge() ?? [];
    this.queues.delete(deviceId);
    this.timers.get(deviceId)?.timer.cancel();
    this.timers.delete(deviceId);
    const feedback = this.feedback.dropDevice(deviceId);
    if (remote) return;
    for (const settled of purged) this.messages.delete(storeKey(settled.message));
    this.sequences.delete(deviceId);
    this.feedbackGone(feedback);
  }

  /** Another process changed a queue or the feedback: the copies here follow, and a device connected here gets what arrived for it. */
  private followRemote(write: RemoteWrite): void {
    switch (write.collection) {
      case 'c2dMessages': {
        const [deviceId, sequenceNumber] = JSON.parse(write.key) as [string, number];
        if (write.value === undefined) {
          const queue = this.queues.get(deviceId);
          if (queue?.drop(sequenceNumber) && queue.size === 0) this.queues.delete(deviceId);
        } else {
          const { message, lock } = fromStored(write.value as StoredC2dMessage);
          this.queue(deviceId).add(message, lock);
        }
        if (this.deps.table.get(deviceId)) this.deps.table.changed(deviceId);
        this.arm(deviceId);
        if (write.value !== undefined) this.deliverPending(deviceId);
        return;
      }
      case 'c2dSequences':
        if (typeof write.value === 'number') this.queues.get(write.key)?.follow(write.value);
        return;
      case 'c2dFeedback':
        // Forgotten first: a reload may tell of a record this process holds already.
        this.feedback.forget(write.key);
        if (write.value !== undefined) this.feedback.add(write.value as FeedbackRecord, write.key);
        return;
      default:
        return;
    }
  }

  /** On a shared store, a lock is stored with its message, so the device may settle it through any process. */
  private storeLock(locked: C2dLockedMessage): void {
    if (this.shared) this.messages.put(storeKey(locked.message), toStored(locked.message, { token: locked.lockToken, untilMs: locked.lockedUntilMs }));
  }

  /** On a shared store, a message given back is stored without its lock. */
  private storeUnlocked(message: C2dMessage): void {
    if (this.shared) this.messages.put(storeKey(message), toStored(message));
  }

  /** Feedback records that left the queue for good leave the shared store. */
  private feedbackGone(ids: string[]): void {
    if (!this.shared) return;
    for (const id of ids) if (this.feedbackRecords.has(id)) this.feedbackRecords.delete(id);
  }

  /** Whether this process dead-letters expired messages: always on its own store, only the leader on a shared one. */
  private expiring(): boolean {
    return !this.shared || (this.deps.leading?.() ?? true);
  }

  /** A message left its queue: out of the store, and its feedback if the sender asked for it. */
  private settle({ message, status }: Settled): void {
    this.messages.delete(storeKey(message));
    if (wantsFeedback(message.ack, status)) {
      const record: FeedbackRecord = {
        originalMessageId: message.messageId ?? '',
        enqueuedTimeUtc: new Date(this.deps.clock.now()).toISOString(),
        statusCode: status,
        description: feedbackDescription(status),
        deviceId: message.deviceId,
        deviceGenerationId: message.deviceGenerationId,
      };
      const id = randomUUID();
      if (this.shared) this.feedbackRecords.put(id, record);
      this.feedback.add(record, id);
    }
    const queue = this.queues.get(message.deviceId);
    if (queue && queue.size === 0) this.queues.delete(message.deviceId);
    this.deps.table.changed(message.deviceId);
    this.arm(message.deviceId);
  }

  private sweep(deviceId: string): void {
    const queue = this.queues.get(deviceId);
    if (!queue) return;
    const { expired, unlocked } = queue.sweep(this.deps.clock.now(), this.expiring());
    for (const settled of expired) this.settle(settled);
    if (unlocked > 0) this.deliverPending(deviceId);
    this.arm(deviceId);
  }

  /** Keeps one timer per device, at its queue's next lock end or expiry. */
  private arm(deviceId: string): void {
    const next = this.queues.get(deviceId)?.nextDeadline(!this.expiring());
    const current = this.timers.get(deviceId);
    if (current?.atMs === next) return;
    current?.timer.cancel();
    this.timers.delete(deviceId);
    if (next === undefined) return;
    const timer = this.deps.clock.at(next, () => {
      if (this.timers.get(deviceId)?.timer !== timer) return;
      this.timers.delete(deviceId);
      this.sweep(deviceId);
    });
    this.timers.set(deviceId, { atMs: next, timer });
  }

  private queue(deviceId: string): DeviceQueue {
    let queue = this.queues.get(deviceId);
    if (!queue) {
      queue = new DeviceQueue(deviceId, this.sequences.get(deviceId) ?? 1);
      this.queues.set(deviceId, queue);
    }
    return queue;
  }

  /** The registered device `deviceId`; 404 DeviceNotFound when there is none. */
  private device(deviceId: string): DeviceEntry {
    const entry = this.deps.table.get(deviceId);
    if (!entry || entry.moduleId !== undefined) throw new HubError('DeviceNotFound', `Device '${deviceId}' does not exist.`);
    return entry;
  }

  /** The queue holding `lockToken`'s message (412002 when the device has none). */
  private locking(deviceId: string, lockToken: string): DeviceQueue {
    this.device(deviceId);
    const queue = this.queues.get(deviceId);
    if (!queue) throw new HubError('DeviceMessageLockLost', `The lock '${lockToken}' of device '${deviceId}' is unknown or has expired.`);
    return queue;
  }

  private load(): void {
    for (const stored of this.messages.values()) {
      const { message, lock } = fromStored(stored);
      // On its own store a restarted hub holds no locks; on a shared one another process may.
      this.queue(message.deviceId).add(message, this.shared ? lock : undefined);
    }
    for (const id of this.feedbackRecords.keys()) this.feedback.add(this.feedbackRecords.get(id) as FeedbackRecord, id);
    for (const deviceId of this.queues.keys()) this.arm(deviceId);
  }
}

function storeKey(message: Pick<C2dMessage, 'deviceId' | 'sequenceNumber'>): string {
  return JSON.stringify([message.deviceId, message.sequenceNumber]);
}
