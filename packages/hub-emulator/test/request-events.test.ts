import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '@hubemu/shared';
import { startHub, type Hub, type Logger, type RequestEvent } from '../src/index.js';
import { connectRaw } from './raw-device.js';
import { call } from './rest-api/http-helpers.js';

// A fixed clock an hour in the past: every timestamp the hub writes comes from it (tokens signed now stay valid).
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const iso = new Date(T0).toISOString().replace('.000Z', '.0000000Z');
const d = new Date(T0);
const pad = (n: number): string => String(n).padStart(2, '0');
const trackingStamp = `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
let hub: Hub;
const errors: Array<{ obj: object; msg: string | undefined }> = [];
const logger: Logger = { debug() {}, info() {}, warn() {}, error: (obj, msg) => void errors.push({ obj, msg }) };

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, clock: { now: () => T0 }, logger });
});
afterAll(async () => {
  await hub.stop();
});

/** Collects the request events emitted while `act` runs, until `until` holds (or fails after a deadline). */
async function requestsDuring(act: () => Promise<unknown>, until: (events: RequestEvent[]) => boolean): Promise<RequestEvent[]> {
  const seen: RequestEvent[] = [];
  const listener = (e: RequestEvent): void => void seen.push(e);
  hub.events.on('request', listener);
  try {
    await act();
    await expect.poll(() => until(seen), { timeout: 5_000 }).toBe(true);
    return seen;
  } finally {
    hub.events.off('request', listener);
  }
}

describe('one request event per request, on every plane', () => {
  it('REST: names the route pattern, the policy, the identity and the outcome of each call', async () => {
    hub.createDevice('ev-rest');
    const events = await requestsDuring(
      async () => {
        await call(hub, { method: 'GET', path: '/twins/ev-rest', headers: { 'x-ms-client-request-id': 'req-1' } });
        await call(hub, { method: 'GET', path: '/twins/ev-missing', policy: 'registryRead' });
      },
      (seen) => seen.length >= 2,
    );
    expect(events[0]).toMatchObject({ plane: 'http', operation: 'GET /twins/:deviceId', deviceId: 'ev-rest', principal: 'iothubowner', status: 200, requestId: 'req-1', at: iso });
    expect(events[0]?.responseBytes).toBeGreaterThan(0);
    expect(events[1]).toMatchObject({ plane: 'http', operation: 'GET /twins/:deviceId', deviceId: 'ev-missing', principal: 'registryRead', status: 404, errorCode: 'DeviceNotFound' });
  });

  it('REST: a request refused before routing (no token) is still one event, with no principal', async () => {
    const events = await requestsDuring(() => call(hub, { method: 'GET', path: '/devices', policy: null }), (seen) => seen.length >= 1);
    expect(events[0]).toMatchObject({ plane: 'http', status: 401, errorCode: 'IotHubUnauthorized' });
    expect(events[0]?.principal).toBeUndefined();
  });

  it('REST: a server error is logged at error with its stack and emitted as 500 ServerError', async () => {
    hub.createDevice('ev-500');
    const original = hub.twins.getTwin.bind(hub.twins);
    hub.twins.getTwin = () => {
      throw new Error('disk on fire');
    };
    try {
      const events = await requestsDuring(() => call(hub, { method: 'GET', path: '/twins/ev-500' }), (seen) => seen.length >= 1);
      expect(events[0]).toMatchObject({ plane: 'http', status: 500, errorCode: 'ServerError', deviceId: 'ev-500' });
      expect(errors.some((e) => e.msg === 'request failed' && JSON.stringify(e.obj).includes('disk on fire'))).toBe(true);
    } finally {
      hub.twins.getTwin = original;
    }
  });

  it('REST: error bodies are stamped with the hub clock', async () => {
    const res = await call(hub, { method: 'GET', path: '/twins/ev-clock' });
    expect(res.json.ExceptionMessage).toContain(`TimeStamp:${trackingStamp}`);
  });

  it('MQTT: a CONNECT, a twin GET with its $rid and a refused request are one event each', async () => {
    hub.createDevice('ev-mqtt');
    let device: Awaited<ReturnType<typeof connectRaw>> | undefined;
    const events = await requestsDuring(
      async () => {
        device = await connectRaw(hub, 'ev-mqtt');
        await device.request(topics.twinGet('g1'), '', 'g1');
        await device.request(topics.twinPatchReported('p1'), 'not json', 'p1');
      },
      (seen) => seen.filter((e) => e.plane === 'mqtt').length >= 3,
    );
    await device?.close();
    const mqtt = events.filter((e) => e.plane === 'mqtt');
    expect(mqtt[0]).toMatchObject({ operation: 'connect', deviceId: 'ev-mqtt', principal: 'ev-mqtt', status: 200 });
    expect(mqtt[1]).toMatchObject({ operation: 'twin.get', deviceId: 'ev-mqtt', status: 200, requestId: 'g1', requestBytes: 0 });
    expect(mqtt[1]?.responseBytes).toBeGreaterThan(0);
    expect(mqtt[2]).toMatchObject({ operation: 'twin.patchReported', status: 400, errorCode: 'ArgumentInvalid', requestId: 'p1', requestBytes: 8 });
  });
});
