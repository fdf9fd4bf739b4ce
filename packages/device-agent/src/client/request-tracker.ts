import { DeviceClientError } from '../errors.js';
import type { Scheduler, TimerHandle } from '../scheduler/scheduler.js';

/** A response on `$iothub/twin/res/{status}/?$rid={rid}[&$version={n}]`. */
export interface TwinResponse {
  status: number;
  version: number | undefined;
  body: Buffer;
}

interface Pending {
  resolve: (response: TwinResponse) => void;
  reject: (error: Error) => void;
  timer: TimerHandle;
}

/**
 * Correlates twin requests with their responses by `$rid`. Responses may arrive in any order; a response
 * for an unknown `$rid` (late, after a timeout, or never asked for) is ignored.
 */
export class RequestTracker {
  private readonly pending = new Map<string, Pending>();
  private counter = 0;

  constructor(private readonly scheduler: Scheduler) {}

  /** Requests waiting for a response. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Registers a request before it is published (the response may come back at once) and returns its
   * `$rid` and a promise of the response, rejected with `Timeout` after `timeoutMs`.
   */
  begin(timeoutMs: number, what: string): { rid: string; response: Promise<TwinResponse> } {
    const rid = String(++this.counter);
    const response = new Promise<TwinResponse>((resolve, reject) => {
      const timer = this.scheduler.setTimeout(() => {
        this.pending.delete(rid);
        reject(new DeviceClientError('Timeout', `${what} got no response within ${timeoutMs} ms`, { rid }));
      }, timeoutMs);
      this.pending.set(rid, { resolve, reject, timer });
    });
    return { rid, response };
  }

  /** Delivers a response; false when no request with that `$rid` is waiting. */
  settle(rid: string, response: TwinResponse): boolean {
    const entry = this.take(rid);
    entry?.resolve(response);
    return entry !== undefined;
  }

  fail(rid: string, error: Error): boolean {
    const entry = this.take(rid);
    entry?.reject(error);
    return entry !== undefined;
  }

  /** Rejects every waiting request (the connection dropped or the client closed). */
  failAll(error: Error): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) {
      entry.timer.cancel();
      entry.reject(error);
    }
  }

  private take(rid: string): Pending | undefined {
    const entry = this.pending.get(rid);
    if (!entry) return undefined;
    this.pending.delete(rid);
    entry.timer.cancel();
    return entry;
  }
}
