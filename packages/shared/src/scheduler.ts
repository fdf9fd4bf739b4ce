import { MAX_TIMER_MS, type Clock } from './time.js';

/** A pending callback of a Scheduler; cancelling one that already ran does nothing. */
export interface Timer {
  cancel(): void;
}

/**
 * Everything in the hub that waits (job schedules and deadlines, method timeouts, the configuration
 * pass, token expiry, rate limits) waits through one of these, so a test clock can drive it. Network
 * timeouts (TLS handshake, MQTT CONNECT, HTTP keep-alive) stay on Node's timers: they are real time.
 */
export interface Scheduler {
  /** Calls `fn` once the clock reads `timeMs` or later (on a later turn of the event loop when it already does). */
  at(timeMs: number, fn: () => void): Timer;
  /** Calls `fn` once `delayMs` of the clock's time has passed. */
  after(delayMs: number, fn: () => void): Timer;
  /** Calls `fn` every `intervalMs` of the clock's time until cancelled. */
  every(intervalMs: number, fn: () => void): Timer;
  /** Resolves once `delayMs` of the clock's time has passed. */
  sleep(delayMs: number): Promise<void>;
}

export type ClockMode = 'system' | 'manual';

/** The hub's time: what it reads (`now`) and how it waits (the scheduler); `manual` when a test drives it. */
export interface HubClock extends Clock, Scheduler {
  readonly mode: ClockMode;
}

/**
 * A scheduler over Node's timers, reading time from `clock` (a longer wait than a timer can take,
 * 2^31-1 ms, re-arms until due). Its timers are unref'd: a hub's listeners keep the process alive.
 */
export function nodeScheduler(clock: Clock): Scheduler {
  const at = (timeMs: number, fn: () => void): Timer => {
    let handle: NodeJS.Timeout;
    const arm = (): void => {
      const left = timeMs - clock.now();
      handle = setTimeout(left > MAX_TIMER_MS ? arm : fn, Math.min(MAX_TIMER_MS, Math.max(0, left)));
      handle.unref();
    };
    arm();
    return { cancel: () => clearTimeout(handle) };
  };
  return {
    at,
    after: (delayMs, fn) => at(clock.now() + delayMs, fn),
    every(intervalMs, fn) {
      const handle = setInterval(fn, Math.min(MAX_TIMER_MS, Math.max(1, intervalMs)));
      handle.unref();
      return { cancel: () => clearInterval(handle) };
    },
    sleep: (delayMs) => new Promise((resolve) => at(clock.now() + delayMs, resolve)),
  };
}

/** A clock that reads `clock` (the system clock, or one a test injects) and waits on Node's timers. */
export function systemHubClock(clock: Clock): HubClock {
  return { mode: 'system', now: () => clock.now(), ...nodeScheduler(clock) };
}

/** A HubClock as it is (a ManualClock a test keeps); a bare Clock reads its time and waits on Node's timers. */
export function toHubClock(clock: Clock): HubClock {
  const candidate = clock as Partial<HubClock>;
  const schedules = typeof candidate.at === 'function' && typeof candidate.every === 'function' && (candidate.mode === 'system' || candidate.mode === 'manual');
  return schedules ? (clock as HubClock) : systemHubClock(clock);
}
