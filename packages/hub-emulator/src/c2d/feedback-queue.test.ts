import { describe, expect, it } from 'vitest';
import { HubError, ManualClock } from '@hubemu/shared';
import type { FeedbackRecord } from './c2d-types.js';
import { HubFeedbackQueue } from './feedback-queue.js';

const record = (id: string, deviceId = 'd1'): FeedbackRecord => ({
  originalMessageId: id,
  enqueuedTimeUtc: '2026-01-01T00:00:00.000Z',
  statusCode: 'Success',
  description: 'Success',
  deviceId,
  deviceGenerationId: 'g',
});

function queue(): { q: HubFeedbackQueue; clock: ManualClock } {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  return { q: new HubFeedbackQueue(clock, { ttlMs: 3_600_000, lockMs: 60_000 }), clock };
}

describe('the feedback queue', () => {
  it('tells readers a batch is ready on the next turn of the clock', async () => {
    const { q } = queue();
    let told = 0;
    q.onAvailable(() => told++);
    q.add(record('a'));
    q.add(record('b'));
    expect(told).toBe(0);
    await new Promise<void>((resolve) => q.onAvailable(resolve));
    expect(told).toBe(1);
    expect(q.take()?.records.map((r) => r.originalMessageId)).toEqual(['a', 'b']);
  });

  it('offers a batch again when its lock runs out, and a settle with the old lock is DeviceMessageLockLost', async () => {
    const { q, clock } = queue();
    q.add(record('a'));
    const first = q.take();
    expect(q.take()).toBeUndefined();
    await clock.advance(60_000);
    const again = q.take();
    expect(again?.messageId).toBe(first?.messageId);
    expect(() => q.complete(first?.lockToken ?? '')).toThrow(HubError);
    q.complete(again?.lockToken ?? '');
    expect(q.batchCount).toBe(0);
  });

  it('drops a batch abandoned ten times, and one no reader took within its time to live', async () => {
    const { q, clock } = queue();
    q.add(record('a'));
    for (let i = 0; i < 10; i++) q.abandon(q.take()?.lockToken ?? '');
    expect(q.take()).toBeUndefined();
    q.add(record('b'));
    q.take();
    await clock.advance(60_000);
    await clock.advance(3_600_000);
    expect(q.take()).toBeUndefined();
  });

  it('names the records that leave for good, and forgets one another hub process delivered before a reader here took it', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const gone: string[][] = [];
    const q = new HubFeedbackQueue(clock, { ttlMs: 60_000, lockMs: 10_000, onGone: (ids) => gone.push(ids) });
    q.add(record('a'), 'id-a');
    q.add(record('b'), 'id-b');
    q.add(record('c'), 'id-c');
    q.forget('id-b');
    const batch = q.take();
    expect(batch?.records.map((r) => r.originalMessageId)).toEqual(['a', 'c']);
    q.complete(batch?.lockToken as string);
    expect(gone).toEqual([['id-a', 'id-c']]);
    q.add(record('d'), 'id-d');
    expect(q.take()).toBeDefined();
    // Taken, never settled: offered again when the lock ends, dropped once its time to live is over.
    await clock.advance(61_000);
    expect(q.take()).toBeUndefined();
    expect(gone).toEqual([['id-a', 'id-c'], ['id-d']]);
  });
});

