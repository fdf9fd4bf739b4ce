import { describe, expect, it } from 'vitest';
import { HubError } from './errors.js';
import { ManualClock } from './manual-clock.js';

const T0 = Date.UTC(2030, 0, 1);

describe('ManualClock', () => {
  it('stands still until it is moved', async () => {
    const clock = new ManualClock(T0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(clock.now()).toBe(T0);
    await clock.advance(1500);
    expect(clock.now()).toBe(T0 + 1500);
    await clock.set(T0 + 60_000);
    expect(clock.now()).toBe(T0 + 60_000);
  });

  it('fires the timers due by the new time, earliest first, each reading its own due time, before the move resolves', async () => {
    const clock = new ManualClock(T0);
    const fired: Array<[string, number]> = [];
    clock.after(300, () => fired.push(['c', clock.now()]));
    clock.after(100, () => fired.push(['a', clock.now()]));
    clock.at(T0 + 200, () => fired.push(['b', clock.now()]));
    clock.after(1000, () => fired.push(['late', clock.now()]));
    await clock.advance(300);
    expect(fired).toEqual([
      ['a', T0 + 100],
      ['b', T0 + 200],
      ['c', T0 + 300],
    ]);
    expect(clock.pending).toBe(1);
  });

  it('fires timers due at the same time in the order they were set', async () => {
    const clock = new ManualClock(T0);
    const fired: number[] = [];
    for (let i = 0; i < 5; i++) clock.after(50, () => fired.push(i));
    await clock.advance(50);
    expect(fired).toEqual([0, 1, 2, 3, 4]);
  });

  it('fires, in the same move, a timer that a firing timer sets when it is due by the new time', async () => {
    const clock = new ManualClock(T0);
    const fired: number[] = [];
    clock.after(10, () => {
      fired.push(clock.now() - T0);
      // Set on a later turn, as async work would: the move still sees it.
      setImmediate(() => clock.after(10, () => fired.push(clock.now() - T0)));
    });
    await clock.advance(25);
    expect(fired).toEqual([10, 20]);
  });

  it('never fires a cancelled timer', async () => {
    const clock = new ManualClock(T0);
    const fired: string[] = [];
    const timers = ['a', 'b', 'c', 'd'].map((name, i) => ({ name, timer: clock.after(10 * (i + 1), () => fired.push(name)) }));
    timers[1]?.timer.cancel();
    timers[3]?.timer.cancel();
    timers[1]?.timer.cancel();
    expect(clock.pending).toBe(2);
    await clock.advance(100);
    expect(fired).toEqual(['a', 'c']);
  });

  it('repeats an interval at each multiple of it, and stops once cancelled', async () => {
    const clock = new ManualClock(T0);
    const ticks: number[] = [];
    const timer = clock.every(1000, () => ticks.push(clock.now() - T0));
    for (let i = 0; i < 3; i++) await clock.advance(1000);
    await clock.advance(500);
    expect(ticks).toEqual([1000, 2000, 3000]);
    timer.cancel();
    await clock.advance(5000);
    expect(ticks).toEqual([1000, 2000, 3000]);
  });

  it('fires an interval once in a move that skips many of its ticks, then keeps its phase', async () => {
    const clock = new ManualClock(T0);
    const ticks: number[] = [];
    clock.every(2000, () => ticks.push(clock.now() - T0));
    await clock.advance(10 * 365 * 86_400_000);
    expect(ticks).toEqual([2000]);
    const after = clock.now() - T0;
    await clock.advance(2000);
    expect(ticks).toEqual([2000, after + 2000 - (after % 2000)]);
  });

  it('resolves a sleep when the clock reaches its end', async () => {
    const clock = new ManualClock(T0);
    let woke = false;
    const sleeping = clock.sleep(5000).then(() => (woke = true));
    await clock.advance(4999);
    expect(woke).toBe(false);
    await clock.advance(1);
    await sleeping;
    expect(woke).toBe(true);
  });

  it('fires a timer set for a time already reached on the next turn, without a move', async () => {
    const clock = new ManualClock(T0);
    const fired = new Promise<number>((resolve) => clock.after(0, () => resolve(clock.now())));
    expect(await fired).toBe(T0);
  });

  it('carries out moves one after another, each from where the previous one left the clock', async () => {
    const clock = new ManualClock(T0);
    const seen: number[] = [];
    clock.after(150, () => seen.push(clock.now() - T0));
    await Promise.all([clock.advance(100), clock.advance(100)]);
    expect(clock.now()).toBe(T0 + 200);
    expect(seen).toEqual([150]);
  });

  it('refuses to go backwards or to move by a negative or non-finite amount, with 400 ArgumentInvalid', async () => {
    const clock = new ManualClock(T0);
    await expect(clock.set(T0 - 1)).rejects.toThrow(/does not go backwards/);
    await expect(clock.advance(-5)).rejects.toBeInstanceOf(HubError);
    await expect(clock.advance(Number.NaN)).rejects.toMatchObject({ errorCode: 'ArgumentInvalid', status: 400 });
    // A refused move leaves the clock where it was and the next one works.
    await clock.advance(10);
    expect(clock.now()).toBe(T0 + 10);
  });

  it('keeps thousands of timers cancelled out of order in order', async () => {
    const clock = new ManualClock(T0);
    const fired: number[] = [];
    const timers = Array.from({ length: 2000 }, (_, i) => clock.after(((i * 7919) % 2000) + 1, () => fired.push(((i * 7919) % 2000) + 1)));
    timers.forEach((timer, i) => i % 3 === 0 && timer.cancel());
    await clock.advance(2000);
    expect(fired).toEqual([...fired].sort((a, b) => a - b));
    expect(fired).toHaveLength(2000 - Math.ceil(2000 / 3));
  });
});
