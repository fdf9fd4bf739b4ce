import { describe, expect, it } from 'vitest';
import { parseHubOptions } from './hub-options.js';
import { ManualClock } from './manual-clock.js';

describe('hub options: connection timeouts', () => {
  it('bounds every listener by default: TLS handshake 30 s, MQTT CONNECT 30 s, AMQP open 30 s, HTTP headers 30 s, request 60 s, keep-alive 5 s', () => {
    expect(parseHubOptions().timeouts).toEqual({ tlsHandshakeMs: 30_000, mqttConnectMs: 30_000, amqpOpenMs: 30_000, httpHeadersMs: 30_000, httpRequestMs: 60_000, httpKeepAliveMs: 5_000 });
  });

  it('keeps the defaults of the timeouts not given', () => {
    expect(parseHubOptions({ timeouts: { tlsHandshakeMs: 200 } }).timeouts).toMatchObject({ tlsHandshakeMs: 200, mqttConnectMs: 30_000 });
  });

  it('refuses a timeout that is not a positive whole number of milliseconds, or headers allowed longer than the whole request', () => {
    expect(() => parseHubOptions({ timeouts: { mqttConnectMs: 0 } })).toThrow(/timeouts\.mqttConnectMs/);
    expect(() => parseHubOptions({ timeouts: { httpHeadersMs: 1.5 } })).toThrow(/timeouts\.httpHeadersMs/);
    expect(() => parseHubOptions({ timeouts: { httpHeadersMs: 90_000 } })).toThrow(/httpHeadersMs must not exceed httpRequestMs/);
  });
});

describe('hub options: ranges the CLI takes its flags from', () => {
  it('refuses a configuration interval a timer cannot wait (over 2^31-1 ms) and more tier units than the service sells (200)', () => {
    expect(parseHubOptions({ configurationIntervalMs: 2 ** 31 - 1 }).configurationIntervalMs).toBe(2 ** 31 - 1);
    expect(() => parseHubOptions({ configurationIntervalMs: 2 ** 31 })).toThrow(/configurationIntervalMs/);
    expect(parseHubOptions({ tierUnits: 200 }).tierUnits).toBe(200);
    expect(() => parseHubOptions({ tierUnits: 201 })).toThrow(/tierUnits/);
  });
});

describe('hub options: the clock', () => {
  it('runs the system clock by default', () => {
    const { clock } = parseHubOptions({});
    expect(clock.mode).toBe('system');
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(60_000);
  });

  it("makes a test clock for 'manual', starting now or at startAt (ISO with offset, epoch ms or a Date)", () => {
    expect(parseHubOptions({ clock: 'manual' }).clock).toBeInstanceOf(ManualClock);
    expect(parseHubOptions({ clock: { mode: 'manual', startAt: '2030-01-01T00:00:00Z' } }).clock.now()).toBe(Date.UTC(2030, 0, 1));
    expect(parseHubOptions({ clock: { mode: 'manual', startAt: '2030-01-01T02:00:00+02:00' } }).clock.now()).toBe(Date.UTC(2030, 0, 1));
    expect(parseHubOptions({ clock: { mode: 'manual', startAt: 1234 } }).clock.now()).toBe(1234);
    expect(parseHubOptions({ clock: { mode: 'manual', startAt: new Date(5678) } }).clock.now()).toBe(5678);
  });

  it('uses a clock passed in: a ManualClock as it is, a bare Clock for reading time', () => {
    const manual = new ManualClock(42);
    expect(parseHubOptions({ clock: manual }).clock).toBe(manual);
    const bare = parseHubOptions({ clock: { now: () => 7 } }).clock;
    expect(bare.mode).toBe('system');
    expect(bare.now()).toBe(7);
  });

  it('refuses an unknown mode, a start time without its offset and a start time for the system clock, naming the option', () => {
    expect(() => parseHubOptions({ clock: 'fast' as 'manual' })).toThrow(/clock/);
    expect(() => parseHubOptions({ clock: { mode: 'manual', startAt: '2030-01-01T00:00:00' } })).toThrow(/clock\.startAt/);
    expect(() => parseHubOptions({ clock: { mode: 'system', startAt: 0 } })).toThrow(/clock\.startAt: startAt needs mode manual/);
  });
});
