/**
 * The one timer abstraction of the device agent. Clients, behaviours and the fleet take a Scheduler,
 * so tests drive time by hand (ManualScheduler) and a fleet of 10,000 devices shares one native timer
 * (createSharedScheduler) instead of arming one per device.
 */

export interface TimerHandle {
  /** Stops the timer; calling it after the timer fired, or twice, does nothing. */
  cancel(): void;
}

export interface Scheduler {
  /** Milliseconds since the epoch, on this scheduler's clock. */
  now(): number;
  /** Runs `callback` once, `delayMs` from now (0 or less: on the next turn). */
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
}

/** Resolves after `delayMs` on the scheduler's clock; rejects with the signal's reason if aborted first. */
export function delay(scheduler: Scheduler, delayMs: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      timer.cancel();
      reject(abortReason(signal as AbortSignal));
    };
    const timer = scheduler.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('Aborted');
}
