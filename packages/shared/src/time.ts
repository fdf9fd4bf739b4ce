/** An injected clock: every rule that stamps time takes one, so tests control time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** The longest delay a Node timer takes (2^31-1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

let lastMs = Number.NaN;
let lastText = '';

/** IoT Hub's timestamp shape: UTC, seven fractional digits, `Z`. (Many writes share a millisecond: the last one is reused.) */
export function formatTimestamp(ms: number): string {
  if (ms !== lastMs) {
    lastText = `${new Date(ms).toISOString().slice(0, -1)}0000Z`;
    lastMs = ms;
  }
  return lastText;
}
