import { describe, expect, it } from 'vitest';
import { ManualScheduler } from './manual-scheduler.js';
import { createRandom, deriveSeed, jittered } from './random.js';
import { delay } from './scheduler.js';
import { createSharedScheduler } from './shared-scheduler.js';
import { TimerHeap } from './timer-heap.js';

describe('TimerHeap', () => {
  it('pops timers by due time, equal times in insertion order, skipping cancelled ones', () => {
    const heap = new TimerHeap();
    const order: string[] = [];
    heap.push(30, () => order.push('c'));
    heap.push(10, () => order.push('a1'));
    const cancelled = heap.push(5, () => order.push('x'));
    heap.push(10, () => order.push('a2'));
    heap.cancel(cancelled);
    expect(heap.size).toBe(3);
    for (let due = heap.popDue(100); due; due = heap.popDue(100)) due.callback();
    expect(order).toEqual(['a1', 'a2', 'c']);
  });
});

describe('ManualScheduler', () => {
  it('runs timers only when the clock is advanced past them', async () => {
    const scheduler = new ManualScheduler(0);
    const fired: number[] = [];
    scheduler.setTimeout(() => fired.push(scheduler.now()), 100);
    scheduler.setTimeout(() => fired.push(scheduler.now()), 50);
    await scheduler.advance(60);
    expect(fired).toEqual([50]);
    await scheduler.advance(40);
    expect(fired).toEqual([50, 100]);
    expect(scheduler.now()).toBe(100);
  });

  it('resolves delay() on its clock and rejects it when aborted', async () => {
    const scheduler = new ManualScheduler(0);
    let done = false;
    void delay(scheduler, 10).then(() => (done = true));
    await scheduler.advance(10);
    expect(done).toBe(true);
    const controller = new AbortController();
    const aborted = delay(scheduler, 10, controller.signal).catch((e: Error) => e.message);
    controller.abort(new Error('stop'));
    expect(await aborted).toBe('stop');
    expect(scheduler.pending).toBe(0);
  });
});

describe('createSharedScheduler', () => {
  it('runs many timers in due order behind one native timer', async () => {
    const scheduler = createSharedScheduler();
    const order: number[] = [];
    const all = [30, 10, 20, 0].map((ms) => new Promise<void>((resolve) => scheduler.setTimeout(() => (order.push(ms), resolve()), ms)));
    expect(scheduler.size).toBe(4);
    await Promise.all(all);
    expect(order).toEqual([0, 10, 20, 30]);
    expect(scheduler.size).toBe(0);
  });

  it('does not run a cancelled timer and keeps running the others when one throws', async () => {
    const errors: unknown[] = [];
    const scheduler = createSharedScheduler({ onError: (e) => errors.push(e) });
    let cancelledRan = false;
    scheduler.setTimeout(() => (cancelledRan = true), 1).cancel();
    scheduler.setTimeout(() => {
      throw new Error('boom');
    }, 1);
    await new Promise<void>((resolve) => scheduler.setTimeout(resolve, 2));
    expect(cancelledRan).toBe(false);
    expect(errors).toHaveLength(1);
  });
});

describe('seeded randomness', () => {
  it('repeats the same sequence for the same seed and differs per device', () => {
    const a = createRandom(deriveSeed(42, 'dev-1'));
    const b = createRandom(deriveSeed(42, 'dev-1'));
    const c = createRandom(deriveSeed(42, 'dev-2'));
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect([c(), c(), c()]).not.toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('keeps jittered values within the spread', () => {
    const random = createRandom(1);
    for (let i = 0; i < 100; i++) {
      const v = jittered(random, 1000, 0.2);
      expect(v).toBeGreaterThanOrEqual(800);
      expect(v).toBeLessThanOrEqual(1200);
    }
    expect(jittered(random, 1000, 0)).toBe(1000);
  });
});
