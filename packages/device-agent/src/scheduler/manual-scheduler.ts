import type { Scheduler, TimerHandle } from './scheduler.js';
import { TimerHeap } from './timer-heap.js';

/** Lets pending promise chains (fake transports, behaviour stages) run: one macrotask turn, not a sleep. */
export function flushAsyncWork(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A scheduler whose clock only moves when told to: tests advance it and every timer due runs in order,
 * with the async work it starts settled before the next one. Nothing waits on real time.
 */
export class ManualScheduler implements Scheduler {
  private readonly heap = new TimerHeap();
  private current: number;

  constructor(startMs = Date.UTC(2024, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  /** Timers waiting to run. */
  get pending(): number {
    return this.heap.size;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const timer = this.heap.push(this.current + Math.max(0, delayMs), callback);
    return { cancel: () => this.heap.cancel(timer) };
  }

  /** Moves the clock forward by `ms`, running every timer that falls due (and the async work it starts). */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await flushAsyncWork();
    for (let due = this.heap.popDue(target); due; due = this.heap.popDue(target)) {
      this.current = Math.max(this.current, due.at);
      due.callback();
      await flushAsyncWork();
    }
    this.current = target;
  }

  /** Runs timers (moving the clock to each) until none is left or `maxTimers` ran. Returns how many ran. */
  async runAll(maxTimers = 10_000): Promise<number> {
    let ran = 0;
    await flushAsyncWork();
    while (ran < maxTimers) {
      const next = this.heap.peekTime();
      if (next === undefined) break;
      const due = this.heap.popDue(next);
      if (!due) break;
      this.current = Math.max(this.current, due.at);
      due.callback();
      ran++;
      await flushAsyncWork();
    }
    return ran;
  }
}
