/** An injected clock: every rule that stamps time takes one, so tests control time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** IoT Hub's timestamp shape: UTC, seven fractional digits, `Z`. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '0000Z');
}
