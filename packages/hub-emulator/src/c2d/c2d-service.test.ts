import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HubError, ManualClock, parseHubOptions } from '@hubemu/shared';
import { createCore, type HubCore } from '../core.js';
import { DurableStore } from '../store/durable-store.js';
import { MemoryStore } from '../store/memory-store.js';
import { HUB_RECORD_SCHEMAS } from '../store/record-schemas.js';
import type { Store } from '../store/collection.js';
import type { C2dSendInput, FeedbackRecord } from './c2d-types.js';

const T0 = Date.UTC(2026, 0, 1);

function coreWith(store: Store = new MemoryStore(), clock = new ManualClock(T0)): { core: HubCore; clock: ManualClock } {
  const core = createCore({ options: parseHubOptions({ inMemory: true, c2d: { maxDeliveryCount: 2 } }), store, clock });
  if (!core.table.get('d1')) core.registry.createDevice('d1', {});
  return { core, clock };
}

const send = (overrides: Partial<C2dSendInput> = {}): C2dSendInput => ({ deviceId: 'd1', ack: 'full', properties: {}, body: Buffer.from('hi'), messageId: 'm1', ...overrides });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof HubError ? error.errorCode : 'not a HubError';
  }
  return undefined;
}

/** Every record the feedback queue has batched so far (taken and completed). */
function drainFeedback(core: HubCore): FeedbackRecord[] {
  const records: FeedbackRecord[] = [];
  for (let batch = core.c2d.feedback.take(); batch; batch = core.c2d.feedback.take()) {
    records.push(...batch.records);
    core.c2d.feedback.complete(batch.lockToken);
  }
  return records;
}

describe('the C2D service', () => {
  it('refuses a message for an unknown device, one over 64 KB and one already expired', () => {
    const { core } = coreWith();
    expect(codeOf(() => core.c2d.enqueue(send({ deviceId: 'ghost' })))).toBe('DeviceNotFound');
    expect(codeOf(() => core.c2d.enqueue(send({ body: Buffer.alloc(64 * 1024 + 1) })))).toBe('MessageTooLarge');
    expect(codeOf(() => core.c2d.enqueue(send({ expiresAtMs: T0 - 1 })))).toBe('ArgumentInvalid');
    expect(codeOf(() => core.c2d.receive('ghost'))).toBe('DeviceNotFound');
  });

  it('expires a message after the default TTL and sends Expired feedback on the next turn', async () => {
    const { core, clock } = coreWith();
    const sent = core.c2d.enqueue(send());
    expect(sent.expiresAtMs).toBe(T0 + 3_600_000);
    await clock.advance(3_600_000);
    expect(core.c2d.pending('d1')).toEqual([]);
    expect(drainFeedback(core)).toEqual([
      { originalMessageId: 'm1', enqueuedTimeUtc: new Date(T0 + 3_600_000).toISOString(), statusCode: 'Expired', description: 'Expired', deviceId: 'd1', deviceGenerationId: sent.deviceGenerationId },
    ]);
  });

  it('gives feedback only for the outcomes iothub-ack asks for', async () => {
    const { core, clock } = coreWith();
    core.c2d.enqueue(send({ messageId: 'pos', ack: 'positive' }));
    core.c2d.enqueue(send({ messageId: 'neg', ack: 'negative' }));
    core.c2d.enqueue(send({ messageId: 'none', ack: 'none' }));
    for (let locked = core.c2d.receive('d1'); locked; locked = core.c2d.receive('d1')) core.c2d.complete('d1', locked.lockToken);
    core.c2d.enqueue(send({ messageId: 'pos2', ack: 'positive' }));
    core.c2d.enqueue(send({ messageId: 'neg2', ack: 'negative' }));
    expect(core.c2d.purge('d1')).toBe(2);
    await clock.advance(0);
    expect(drainFeedback(core).map((r) => [r.originalMessageId, r.statusCode])).toEqual([
      ['pos', 'Success'],
      ['neg2', 'Purged'],
    ]);
  });

  it('returns a message whose lock ran out to the queue, and refuses a late completion with DeviceMessageLockLost', async () => {
    const { core, clock } = coreWith();
    core.c2d.enqueue(send());
    const locked = core.c2d.receive('d1');
    expect(core.c2d.receive('d1')).toBeUndefined();
    await clock.advance(60_000);
    expect(codeOf(() => core.c2d.complete('d1', locked?.lockToken ?? ''))).toBe('DeviceMessageLockLost');
    expect(core.c2d.receive('d1')?.message.deliveryCount).toBe(0);
  });

  it('dead-letters a message abandoned maxDeliveryCount times with DeliveryCountExceeded', async () => {
    const { core, clock } = coreWith();
    core.c2d.enqueue(send());
    core.c2d.abandon('d1', core.c2d.receive('d1')?.lockToken ?? '');
    core.c2d.abandon('d1', core.c2d.receive('d1')?.lockToken ?? '');
    expect(core.c2d.pending('d1')).toEqual([]);
    await clock.advance(0);
    expect(drainFeedback(core).map((r) => r.statusCode)).toEqual(['DeliveryCountExceeded']);
  });

  it('batches feedback 64 records at a time, offers an abandoned batch again and drops a deleted device\'s feedback', async () => {
    const { core, clock } = coreWith();
    core.registry.createDevice('d2', {});
    for (let i = 0; i < 40; i++) core.c2d.enqueue(send({ messageId: `a${i}` }));
    for (let i = 0; i < 40; i++) core.c2d.enqueue(send({ deviceId: 'd2', messageId: `b${i}` }));
    core.c2d.purge('d1');
    core.c2d.purge('d2');
    await clock.advance(0);
    const first = core.c2d.feedback.take();
    expect(first?.records).toHaveLength(64);
    core.c2d.feedback.abandon(first?.lockToken ?? '');
    expect(codeOf(() => core.c2d.feedback.complete(first?.lockToken ?? ''))).toBe('DeviceMessageLockLost');
    core.registry.deleteDevice('d2');
    // The untaken batch held only d2's records; the abandoned one keeps its own.
    const again = core.c2d.feedback.take();
    expect(again?.records.filter((r) => r.deviceId === 'd2')).toHaveLength(0);
    expect(again?.records).toHaveLength(40);
  });

  it('keeps queued messages across a restart over the same store, Enqueued with their sequence', () => {
    const store = new MemoryStore();
    const { core } = coreWith(store);
    core.c2d.enqueue(send({ messageId: 'kept', properties: { k: 'v' }, expiresAtMs: T0 + 120_000 }));
    core.c2d.receive('d1');
    core.stop();
    const { core: again } = coreWith(store);
    const [restored] = again.c2d.pending('d1');
    expect(restored).toMatchObject({ messageId: 'kept', properties: { k: 'v' }, sequenceNumber: 1, senderSetExpiry: true, expiresAtMs: T0 + 120_000 });
    expect(restored?.body.toString()).toBe('hi');
    expect(restored?.lockedUntilMs).toBeUndefined();
    expect(again.c2d.enqueue(send()).sequenceNumber).toBe(2);
  });

  it('keeps queued messages in the durable store: they pass its record schemas when the log is replayed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubemu-c2d-'));
    try {
      const first = new DurableStore(dir, { schemas: HUB_RECORD_SCHEMAS });
      const { core } = coreWith(first);
      core.c2d.enqueue(send({ messageId: 'durable', body: Buffer.from([0, 255, 1]) }));
      core.stop();
      first.close();
      const second = new DurableStore(dir, { schemas: HUB_RECORD_SCHEMAS });
      const { core: again } = coreWith(second);
      expect(again.c2d.pending('d1').map((m) => [m.messageId, [...m.body]])).toEqual([['durable', [0, 255, 1]]]);
      again.stop();
      second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drops the queue of a deleted device and empties everything on reset', () => {
    const { core } = coreWith();
    core.c2d.enqueue(send());
    core.registry.deleteDevice('d1');
    core.registry.createDevice('d1', {});
    expect(core.c2d.pending('d1')).toEqual([]);
    core.c2d.enqueue(send());
    core.reset();
    core.registry.createDevice('d1', {});
    expect(core.c2d.pending('d1')).toEqual([]);
  });
});
