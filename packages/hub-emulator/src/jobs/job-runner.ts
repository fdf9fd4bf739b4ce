import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { DeviceJobRecord } from '@hubemu/shared';
import type { RateLimiter } from './rate-limiter.js';

/** What one device operation ended with: the row's outcome, or its error. */
export type DeviceResult =
  | { ok: true; outcome: DeviceJobRecord['outcome'] }
  | { ok: false; error: { code: string; description: string } };

/** One device's operation: a twin write (synchronous) or a method call (asynchronous). */
export type DeviceOperation = (deviceId: string) => DeviceResult | Promise<DeviceResult>;

export interface RunnerHooks {
  /** True once the job was cancelled, ran out of time or the hub stopped: take no more devices. */
  stopped(): boolean;
  started(deviceId: string): void;
  finished(deviceId: string, result: DeviceResult): void;
}

export interface RunnerOptions {
  /** Operations in flight at once (method calls wait on devices; twin writes use 1). */
  parallelism: number;
  /** Devices a worker handles before it yields to the event loop (setImmediate), so device traffic is served. */
  chunkSize: number;
  limiter: RateLimiter;
}

/** Turns anything an operation threw into a row error. */
export function resultOfError(error: unknown): DeviceResult {
  const e = error as { errorCode?: unknown; message?: unknown };
  const code = typeof e?.errorCode === 'string' ? e.errorCode : 'ServerError';
  const description = typeof e?.message === 'string' ? e.message : String(error);
  return { ok: false, error: { code, description } };
}

/**
 * Runs one operation per device with bounded parallelism, the shared rate limit, and a yield to the
 * event loop every `chunkSize` devices (all workers together): a job on 10,000 devices neither blocks the loop nor
 * starves device traffic. Resolves when every started operation has ended.
 */
export async function runDevices(deviceIds: readonly string[], operation: DeviceOperation, hooks: RunnerHooks, options: RunnerOptions): Promise<void> {
  let next = 0;
  // One budget for all workers: offline devices fail in microtasks, so per-worker counting would let
  // parallelism x chunkSize operations run between two turns of the event loop.
  let sinceYield = 0;
  let gate: Promise<void> | undefined;
  const worker = async (): Promise<void> => {
    while (next < deviceIds.length && !hooks.stopped()) {
      if (gate) {
        await gate;
        continue;
      }
      if (options.limiter.limited) {
        await options.limiter.acquire();
        if (hooks.stopped()) break;
      }
      if (next >= deviceIds.length) break;
      const deviceId = deviceIds[next++] as string;
      hooks.started(deviceId);
      let result: DeviceResult;
      try {
        result = await operation(deviceId);
      } catch (error) {
        result = resultOfError(error);
      }
      hooks.finished(deviceId, result);
      sinceYield += 1;
      if (sinceYield >= options.chunkSize && !gate) {
        sinceYield = 0;
        gate = yieldToEventLoop().then(() => {
          gate = undefined;
        });
      }
    }
  };
  const workers = Math.max(1, Math.min(options.parallelism, deviceIds.length));
  await Promise.all(Array.from({ length: workers }, worker));
}
