import { describe, expect, it } from 'vitest';
import { parseIsoDuration } from './iso-duration.js';

describe('parseIsoDuration', () => {
  it('reads weeks, days, hours, minutes and seconds as milliseconds', () => {
    expect(parseIsoDuration('PT5M')).toBe(300_000);
    expect(parseIsoDuration('P1DT2H')).toBe(26 * 3_600_000);
    expect(parseIsoDuration('PT0.5S')).toBe(500);
    expect(parseIsoDuration('P2W')).toBe(14 * 86_400_000);
    expect(parseIsoDuration('pt1h30m')).toBe(5_400_000);
  });

  it('refuses years, months, empty parts and other text with 400 ArgumentInvalid', () => {
    for (const text of ['P1Y', 'P1M', 'P', 'PT', 'P1DT', '5m', '', 'PT-5M', '300000']) {
      expect(() => parseIsoDuration(text), text).toThrow(expect.objectContaining({ errorCode: 'ArgumentInvalid', status: 400 }));
    }
  });
});
