import { MAX_TIMER_MS, systemClock, type Clock } from '@hubemu/shared';
import type { Scheduler, TimerHandle } from './scheduler.js';
import { TimerHeap } from './timer-heap.js';

export interface SharedScheduler extends Scheduler {
  /** Live timers. */
  readonly size: number;
  /** Cancels every timer and the native timer behind them. */
  dispose(): void;
}

export interface SharedSchedulerOptions {
  clock?: Clock;
  /** Called when a timer callback throws (the other timers still run). Default: rethrown on a later turn. */
  onError?: (error: unknown) => void;
}

/**
 * A scheduler that keeps every timer in one heap behind a single native timer, armed for the earliest
 * one. 10,000 devices with telemetry, request timeouts and stage timers cost one `setTimeout`.
 */
export function createSharedScheduler(options: SharedSchedulerOptions = {}): SharedScheduler {
  const clock = options.clock ?? systemClock;
  const onError = options.onError ?? ((error: unknown) => queueMicrotask(() => { throw error; }));
  const heap = new TimerHeap();
  let native: NodeJS.Timeout | undefined;
  let armedFor: number | undefined;

  const arm = (): void => {
    const next = heap.peekTime();
    if (next === armedFor && native !== undefined) return;
    if (native !== undefined) clearTimeout(native);
    native = undefined;
    armedFor = next;
    if (next === undefined) return;
    const wait = Math.min(Math.max(0, next - clock.now()), MAX_TIMER_MS); // longer timers are re-armed
    native = setTimeout(fire, wait);
  };

  const fire = (): void => {
    native = undefined;
    armedFor = undefined;
    const now = clock.now();
    for (let due = heap.popDue(now); due; due = heap.popDue(now)) {
      try {
        due.callback();
      } catch (error) {
        onError(error);
      }
    }
    arm();
  };

  return {
    now: () => clock.now(),
    get size() {
      return heap.size;
    },
    setTimeout(callback: () => void, delayMs: number): TimerHandle {
      const timer = heap.push(clock.now() + Math.max(0, delayMs), callback);
      if (armedFor === undefined || timer.at < armedFor) arm();
      return {
        cancel: () => {
          heap.cancel(timer);
          if (heap.size === 0) arm();
        },
      };
    },
    dispose(): void {
      while (heap.popDue(Number.POSITIVE_INFINITY)) {
        // drain
      }
      arm();
    },
  };
}

let processScheduler: SharedScheduler | undefined;

/** The process-wide shared scheduler every client uses unless given another. */
export function defaultScheduler(): SharedScheduler {
  processScheduler ??= createSharedScheduler();
  return processScheduler;
}
