import { describe, expect, it } from 'vitest';
import { parseHubOptions } from './hub-options.js';

describe('hub options: connection timeouts', () => {
  it('bounds every listener by default: TLS handshake 10 s, MQTT CONNECT 30 s, HTTP headers 30 s, request 60 s, keep-alive 5 s', () => {
    expect(parseHubOptions().timeouts).toEqual({ tlsHandshakeMs: 30_000, mqttConnectMs: 30_000, httpHeadersMs: 30_000, httpRequestMs: 60_000, httpKeepAliveMs: 5_000 });
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
