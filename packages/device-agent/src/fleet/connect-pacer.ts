import { delay, type Scheduler } from '../scheduler/scheduler.js';

/**
 * Spaces connection attempts at `ratePerSecond` and caps how many are in flight, so 10,000 devices do not
 * hit the hub's TLS listener at once. Callers acquire one slot at a time (no queue of 10,000 promises).
 */
export class ConnectPacer {
  private active = 0;
  private nextSlot = 0;
  private readonly interval: number;
  private waiter: (() => void) | undefined;

  constructor(
    private readonly scheduler: Scheduler,
    ratePerSecond: number,
    private readonly maxInFlight: number,
  ) {
    this.interval = ratePerSecond > 0 && Number.isFinite(ratePerSecond) ? 1_000 / ratePerSecond : 0;
  }

  get inFlight(): number {
    return this.active;
  }

  /** Waits for a free slot and the next start time; returns the function that frees the slot. */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    while (this.active >= this.maxInFlight) {
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
    this.active++;
    const now = this.scheduler.now();
    const at = Math.max(now, this.nextSlot);
    this.nextSlot = at + this.interval;
    if (at > now) {
      try {
        await delay(this.scheduler, at - now, signal);
      } catch (error) {
        this.release();
        throw error;
      }
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release();
    };
  }

  private release(): void {
    this.active--;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}
