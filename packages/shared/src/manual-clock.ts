import { HubError } from './errors.js';
import type { HubClock, Timer } from './scheduler.js';

interface Entry {
  dueMs: number;
  /** Creation order: timers due at the same time fire in the order they were set. */
  seq: number;
  fn: () => void;
  /** Position in the heap; -1 once fired or cancelled. */
  index: number;
}

/** A binary min-heap of timers by (dueMs, seq) that can remove any entry (a cancelled method timeout). */
class TimerHeap {
  private readonly items: Entry[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Entry | undefined {
    return this.items[0];
  }

  push(entry: Entry): void {
    entry.index = this.items.length;
    this.items.push(entry);
    this.up(entry.index);
  }

  remove(entry: Entry): void {
    const i = entry.index;
    if (i < 0) return;
    entry.index = -1;
    const last = this.items.pop() as Entry;
    if (i === this.items.length) return;
    this.items[i] = last;
    last.index = i;
    this.down(i);
    this.up(last.index);
  }

  private before(a: Entry, b: Entry): boolean {
    return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const a = this.items[i] as Entry;
    const b = this.items[j] as Entry;
    this.items[i] = b;
    this.items[j] = a;
    a.index = j;
    b.index = i;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(this.items[i] as Entry, this.items[parent] as Entry)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < this.items.length && this.before(this.items[left] as Entry, this.items[smallest] as Entry)) smallest = left;
      if (right < this.items.length && this.before(this.items[right] as Entry, this.items[smallest] as Entry)) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A test clock: time stands still until `set` or `advance` moves it. Moving it fires every timer due
 * by the new time, earliest first (equal times in the order they were set), each with the clock
 * reading that timer's due time, and lets the event loop turn once after each, so work a timer
 * starts can set timers of its own (which fire in the same call when due by then). The promise
 * resolves once the clock reads the new time and every due timer ran; work the timers started
 * asynchronously (a job's run) goes on after that. Moves are carried out one after another.
 * A timer set for a time already reached fires on the next turn of the event loop. An interval fires
 * at most once per move (see `every`), so a jump of years costs what the timers due cost, not years of ticks.
 */
export class ManualClock implements HubClock {
  readonly mode = 'manual';
  private nowMs: number;
  private seq = 0;
  private readonly heap = new TimerHeap();
  private moving: Promise<void> = Promise.resolve();
  /** The time the move under way goes to. */
  private target: number | undefined;

  constructor(startMs: number = Date.now()) {
    if (!Number.isFinite(startMs)) throw new HubError('ArgumentInvalid', `The clock's start time must be a time, not ${startMs}.`);
    this.nowMs = Math.trunc(startMs);
  }

  now(): number {
    return this.nowMs;
  }

  /** Timers waiting for the clock to reach their time. */
  get pending(): number {
    return this.heap.size;
  }

  at(timeMs: number, fn: () => void): Timer {
    const entry: Entry = { dueMs: timeMs, seq: this.seq++, fn, index: -1 };
    if (timeMs <= this.nowMs) {
      let cancelled = false;
      setImmediate(() => {
        if (!cancelled) fn();
      });
      return { cancel: () => void (cancelled = true) };
    }
    this.heap.push(entry);
    return { cancel: () => this.heap.remove(entry) };
  }

  after(delayMs: number, fn: () => void): Timer {
    return this.at(this.nowMs + Math.max(0, delayMs), fn);
  }

  /**
   * Like Node's setInterval, an interval does not catch up on the ticks a move skips over: it fires once
   * in a move (at its first due time), then next at its first multiple after the move's new time.
   */
  every(intervalMs: number, fn: () => void): Timer {
    const step = Math.max(1, intervalMs);
    let current: Timer;
    const arm = (dueMs: number): void => {
      current = this.at(dueMs, () => {
        const skipTo = this.target ?? dueMs;
        arm(dueMs + step * (Math.floor((skipTo - dueMs) / step) + 1));
        fn();
      });
    };
    arm(this.nowMs + step);
    return { cancel: () => current.cancel() };
  }

  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.after(delayMs, resolve));
  }

  /** Moves the clock to `timeMs` (never backwards: 400 ArgumentInvalid), firing the timers due by then. */
  set(timeMs: number): Promise<void> {
    return this.move(() => {
      if (!Number.isFinite(timeMs)) throw new HubError('ArgumentInvalid', `The clock can only be set to a time, not ${timeMs}.`);
      if (timeMs < this.nowMs) {
        throw new HubError('ArgumentInvalid', `The test clock does not go backwards: it reads ${new Date(this.nowMs).toISOString()}, later than ${new Date(timeMs).toISOString()}.`);
      }
      return Math.trunc(timeMs);
    });
  }

  /** Moves the clock forward by `ms` (from where it reads when this move's turn comes), firing the timers due by then. */
  advance(ms: number): Promise<void> {
    return this.move(() => {
      if (!Number.isFinite(ms) || ms < 0) throw new HubError('ArgumentInvalid', `The test clock advances by zero or more milliseconds, not ${ms}.`);
      return this.nowMs + Math.trunc(ms);
    });
  }

  private move(target: () => number): Promise<void> {
    const run = this.moving.then(async () => {
      const to = target();
      this.target = to;
      try {
        for (let next = this.heap.peek(); next !== undefined && next.dueMs <= to; next = this.heap.peek()) {
          this.heap.remove(next);
          this.nowMs = Math.max(this.nowMs, next.dueMs);
          next.fn();
          await nextTurn();
        }
        this.nowMs = to;
      } finally {
        this.target = undefined;
      }
    });
    this.moving = run.catch(() => undefined);
    return run;
  }
}
