import { HubError, type HubClock, type HubOptions, type Timer } from '@hubemu/shared';
import type { DeviceLinks } from '../device-link.js';
import type { DeviceEntry } from '../registry/device-entry.js';
import type { DeviceTable } from '../registry/device-table.js';
import type { Collection, Store } from '../store/collection.js';
import { admitC2d, feedbackDescription, wantsFeedback } from './c2d-rules.js';
import { fromStored, toStored, type StoredC2dMessage } from './c2d-store.js';
import type { C2dLockedMessage, C2dMessage, C2dSendInput, C2dSendSide } from './c2d-types.js';
import { DeviceQueue, type Settled } from './device-queue.js';
import { HubFeedbackQueue } from './feedback-queue.js';

export interface C2dServiceDeps {
  table: DeviceTable;
  links: DeviceLinks;
  clock: HubClock;
  store: Store;
  options: HubOptions['c2d'];
}

/**
 * Cloud-to-device messages (reference messaging §4–§5): one queue per device, kept in the store so
 * queued messages survive a restart (locks do not: after a restart every message is Enqueued), the
 * hub's feedback queue, and delivery. Devices that receive by push (MQTT) get messages through their
 * plane's `DeviceLink` as soon as they can receive them; devices that poll (HTTPS) call `receive`.
 * Every timer (expiry, lock ends) runs on the hub's clock.
 */
export class C2dService implements C2dSendSide {
  readonly feedback: HubFeedbackQueue;
  private readonly queues = new Map<string, DeviceQueue>();
  private readonly timers = new Map<string, { atMs: number; timer: Timer }>();
  private readonly messages: Collection<StoredC2dMessage>;
  private readonly sequences: Collection<number>;
  /** Devices being pushed to right now: a link that settles synchronously must not re-enter. */
  private readonly pushing = new Set<string>();

  constructor(private readonly deps: C2dServiceDeps) {
    this.feedback = new HubFeedbackQueue(deps.clock, { ttlMs: deps.options.feedbackTtlMs, lockMs: deps.options.feedbackLockMs });
    this.messages = deps.store.collection<StoredC2dMessage>('c2dMessages');
    this.sequences = deps.store.collection<number>('c2dSequences');
    this.load();
    // Devices' `cloudToDeviceMessageCount` is the length of their queue, read when rendered.
    deps.table.countMessages((key) => this.queues.get(key)?.size ?? 0);
    // A deleted device's queue goes with it. The table says so on every delete (bulk ones too), so the
    // registry renders the deleted twin for `identityDeleted` only when someone there wants it.
    deps.table.onChange((key, entry) => {
      if (entry === undefined && !key.includes('/')) this.deviceDeleted(key);
    });
    // A device that connects or subscribes gets what waits for it.
    deps.links.onChange((key) => this.deliverPending(key));
  }

  send(input: C2dSendInput): C2dMessage {
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
    this.deliverPending(input.deviceId);
    return message;
  }

  /** A polling device (HTTPS) takes the next message, locked for a minute; undefined when none is Enqueued. */
  receive(deviceId: string): C2dLockedMessage | undefined {
    this.device(deviceId);
    const queue = this.queues.get(deviceId);
    if (!queue) return undefined;
    this.sweep(deviceId);
    const locked = queue.lockNext(this.deps.clock.now());
    if (locked) this.arm(deviceId);
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
    if (this.queues.get(deviceId)?.release(lockToken)) {
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
        if (!link.deliverC2d(deviceId, locked)) {
          queue.release(locked.lockToken);
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

  private deviceDeleted(deviceId: string): void {
    const queue = this.queues.get(deviceId);
    for (const settled of queue?.purge() ?? []) this.messages.delete(storeKey(settled.message));
    this.queues.delete(deviceId);
    this.sequences.delete(deviceId);
    this.timers.get(deviceId)?.timer.cancel();
    this.timers.delete(deviceId);
    this.feedback.dropDevice(deviceId);
  }

  /** A message left its queue: out of the store, and its feedback if the sender asked for it. */
  private settle({ message, status }: Settled): void {
    this.messages.delete(storeKey(message));
    if (wantsFeedback(message.ack, status)) {
      this.feedback.add({
        originalMessageId: message.messageId ?? '',
        enqueuedTimeUtc: new Date(this.deps.clock.now()).toISOString(),
        statusCode: status,
        description: feedbackDescription(status),
        deviceId: message.deviceId,
        deviceGenerationId: message.deviceGenerationId,
      });
    }
    const queue = this.queues.get(message.deviceId);
    if (queue && queue.size === 0) this.queues.delete(message.deviceId);
    this.deps.table.changed(message.deviceId);
    this.arm(message.deviceId);
  }

  private sweep(deviceId: string): void {
    const queue = this.queues.get(deviceId);
    if (!queue) return;
    const { expired, unlocked } = queue.sweep(this.deps.clock.now());
    for (const settled of expired) this.settle(settled);
    if (unlocked > 0) this.deliverPending(deviceId);
    this.arm(deviceId);
  }

  /** Keeps one timer per device, at its queue's next lock end or expiry. */
  private arm(deviceId: string): void {
    const next = this.queues.get(deviceId)?.nextDeadline();
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
    for (const stored of this.messages.values()) this.queue(stored.deviceId).add(fromStored(stored));
    for (const deviceId of this.queues.keys()) this.arm(deviceId);
  }
}

function storeKey(message: Pick<C2dMessage, 'deviceId' | 'sequenceNumber'>): string {
  return JSON.stringify([message.deviceId, message.sequenceNumber]);
}
