import { describe, expect, it } from 'vitest';
import { HubError } from '@hubemu/shared';
import { C2D_LOCK_MS } from './c2d-rules.js';
import type { C2dMessage } from './c2d-types.js';
import { DeviceQueue } from './device-queue.js';

const T0 = 1_000_000;

function message(queue: DeviceQueue, overrides: Partial<C2dMessage> = {}): C2dMessage {
  const m: C2dMessage = {
    deviceId: queue.deviceId,
    ack: 'none',
    properties: {},
    body: Buffer.from('x'),
    sequenceNumber: queue.reserve(),
    enqueuedAtMs: T0,
    expiresAtMs: T0 + 3_600_000,
    deliveryCount: 0,
    deviceGenerationId: 'g',
    senderSetExpiry: false,
    ...overrides,
  };
  queue.add(m);
  return m;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof HubError ? error.errorCode : 'not a HubError';
  }
  return undefined;
}

describe('a device C2D queue', () => {
  it('numbers messages in sequence and hands them out in that order, each locked once', () => {
    const q = new DeviceQueue('d1');
    const a = message(q);
    const b = message(q);
    expect([a.sequenceNumber, b.sequenceNumber]).toEqual([1, 2]);
    expect(q.lockNext(T0)?.message.sequenceNumber).toBe(1);
    expect(q.lockNext(T0)?.message.sequenceNumber).toBe(2);
    expect(q.lockNext(T0)).toBeUndefined();
  });

  it('counts locked messages toward the depth of 50 and refuses the 51st with DeviceMaximumQueueDepthExceeded', () => {
    const q = new DeviceQueue('d1');
    for (let i = 0; i < 50; i++) message(q);
    q.lockNext(T0);
    expect(codeOf(() => q.reserve())).toBe('DeviceMaximumQueueDepthExceeded');
  });

  it('completes a locked message once; settling it again or with an unknown lock is DeviceMessageLockLost', () => {
    const q = new DeviceQueue('d1');
    message(q);
    const locked = q.lockNext(T0);
    expect(q.complete(locked?.lockToken ?? '', T0).status).toBe('Success');
    expect(codeOf(() => q.complete(locked?.lockToken ?? '', T0))).toBe('DeviceMessageLockLost');
    expect(codeOf(() => q.reject('nope', T0))).toBe('DeviceMessageLockLost');
    expect(q.size).toBe(0);
  });

  it('loses a lock after one minute: settling then is DeviceMessageLockLost and the message is Enqueued again without counting a delivery', () => {
    const q = new DeviceQueue('d1');
    message(q);
    const first = q.lockNext(T0);
    expect(first?.lockedUntilMs).toBe(T0 + C2D_LOCK_MS);
    expect(codeOf(() => q.complete(first?.lockToken ?? '', T0 + C2D_LOCK_MS))).toBe('DeviceMessageLockLost');
    expect(q.sweep(T0 + C2D_LOCK_MS).unlocked).toBe(1);
    const again = q.lockNext(T0 + C2D_LOCK_MS);
    expect(again?.message.deliveryCount).toBe(0);
    expect(again?.lockToken).not.toBe(first?.lockToken);
  });

  it('grows the delivery count on abandon and dead-letters the message with DeliveryCountExceeded at the maximum', () => {
    const q = new DeviceQueue('d1');
    message(q);
    const one = q.lockNext(T0);
    expect(q.abandon(one?.lockToken ?? '', T0, 2)).toMatchObject({ message: { deliveryCount: 1 } });
    const two = q.lockNext(T0);
    expect(two?.message.deliveryCount).toBe(1);
    expect(q.abandon(two?.lockToken ?? '', T0, 2).settled?.status).toBe('DeliveryCountExceeded');
    expect(q.size).toBe(0);
  });

  it('dead-letters rejected messages as Rejected and expired ones as Expired, and purges the rest as Purged', () => {
    const q = new DeviceQueue('d1');
    message(q);
    message(q, { expiresAtMs: T0 + 10 });
    message(q);
    expect(q.reject(q.lockNext(T0)?.lockToken ?? '', T0).status).toBe('Rejected');
    expect(q.nextDeadline()).toBe(T0 + 10);
    expect(q.sweep(T0 + 10).expired.map((s) => [s.message.sequenceNumber, s.status])).toEqual([[2, 'Expired']]);
    expect(q.purge().map((s) => [s.message.sequenceNumber, s.status])).toEqual([[3, 'Purged']]);
  });

  it('continues the sequence of a restored queue', () => {
    const q = new DeviceQueue('d1', 7);
    expect(message(q).sequenceNumber).toBe(7);
  });
});
