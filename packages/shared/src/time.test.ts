import { describe, expect, it } from 'vitest';
import { formatTimestamp, systemClock } from './time.js';

describe('formatTimestamp', () => {
  it('writes UTC with seven fractional digits and a trailing Z, as IoT Hub does', () => {
    expect(formatTimestamp(Date.UTC(2019, 11, 29, 0, 58, 49, 931))).toBe('2019-12-29T00:58:49.9310000Z');
    expect(formatTimestamp(0)).toBe('1970-01-01T00:00:00.0000000Z');
  });

  it('keeps millisecond precision and pads the rest with zeros', () => {
    expect(formatTimestamp(Date.UTC(2024, 1, 29, 23, 59, 59, 5))).toBe('2024-02-29T23:59:59.0050000Z');
  });
});

describe('systemClock', () => {
  it('reads milliseconds since the epoch', () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(Number.isInteger(now)).toBe(true);
  });
});
