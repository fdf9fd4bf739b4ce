import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConnectionString, signSasToken } from '@hubemu/shared';
import { startHub, type Hub, type RequestEvent } from '../../src/index.js';
import { closed, connectRaw } from '../raw-device.js';
import { call, errorOf, type RawResponse } from '../rest-api/http-helpers.js';

let hub: Hub;
const requests: RequestEvent[] = [];

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, dashboard: false });
  hub.events.on('request', (e) => void requests.push(e));
});
afterEach(() => {
  hub.faults.clear();
});
afterAll(async () => {
  await hub.stop();
});

function deviceToken(h: Hub, deviceId: string): string {
  const key = parseConnectionString(h.deviceConnectionString(deviceId)).SharedAccessKey as string;
  return signSasToken(`${h.hostName}/devices/${deviceId}`, key, Math.floor(Date.now() / 1000) + 86_400);
}

function postTelemetry(h: Hub, deviceId: string, body: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return call(h, { method: 'POST', path: `/devices/${deviceId}/messages/events`, body, headers: { 'Content-Type': 'application/octet-stream', ...headers }, authorization: deviceToken(h, deviceId) });
}

const bodiesOf = (h: Hub, deviceId: string): string[] => h.telemetry({ deviceId }).map((m) => m.body.toString());

describe('faults on telemetry over MQTT', () => {
  it('fails a telemetry publish by closing the connection unacknowledged; the message is not sent and other devices stay up', async () => {
    hub.createDevice('t-fail');
    hub.createDevice('t-bystander');
    const bystander = await connectRaw(hub, 't-bystander');
    const d = await connectRaw(hub, 't-fail');
    hub.faults.add({ id: 'tel-fail', operation: 'telemetry', device: 't-fail', count: 1, action: 'fail', status: 429 });
    const gone = closed(d.client);
    let acked = false;
    d.client.publish('devices/t-fail/messages/events/', 'refused', { qos: 1 }, (error) => void (acked = !error));
    await gone;
    expect(acked).toBe(false);
    expect(bodiesOf(hub, 't-fail')).toEqual([]);
    expect(requests.find((r) => r.deviceId === 't-fail' && r.operation === 'telemetry')).toMatchObject({ status: 429, errorCode: 'ThrottlingException', fault: 'tel-fail' });
    expect(hub.connectedDevices()).toContain('t-bystander');
    // The next connection's telemetry goes through (the fault was for one).
    const again = await connectRaw(hub, 't-fail');
    await again.client.publishAsync('devices/t-fail/messages/events/', 'resent', { qos: 1 });
    expect(bodiesOf(hub, 't-fail')).toEqual(['resent']);
    await Promise.all([again.close(), bystander.close()]);
  });

  it('delays a telemetry publish: its PUBACK and the message wait, and later requests keep their order', async () => {
    hub.createDevice('t-delay');
    const d = await connectRaw(hub, 't-delay');
    hub.faults.add({ operation: 'telemetry', device: 't-delay', count: 1, action: 'delay', delayMs: 300 });
    const started = Date.now();
    const first = d.client.publishAsync('devices/t-delay/messages/events/', 'first', { qos: 1 });
    const second = d.client.publishAsync('devices/t-delay/messages/events/', 'second', { qos: 1 });
    await first;
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await second;
    expect(bodiesOf(hub, 't-delay')).toEqual(['first', 'second']);
    await d.close();
  });

  it('drops a telemetry publish: acknowledged but never reaches the built-in endpoint, and the connection stays up', async () => {
    hub.createDevice('t-drop');
    const d = await connectRaw(hub, 't-drop');
    hub.faults.add({ operation: 'telemetry', device: 't-drop', count: 1, action: 'drop' });
    await d.client.publishAsync('devices/t-drop/messages/events/', 'lost', { qos: 1 });
    await d.client.publishAsync('devices/t-drop/messages/events/', 'kept', { qos: 1 });
    expect(bodiesOf(hub, 't-drop')).toEqual(['kept']);
    expect(hub.connectedDevices()).toContain('t-drop');
    await d.close();
  });

  it('disconnects on a telemetry publish without sending it', async () => {
    hub.createDevice('t-cut');
    const d = await connectRaw(hub, 't-cut');
    hub.faults.add({ operation: 'telemetry', device: 't-cut', count: 1, action: 'disconnect' });
    const gone = closed(d.client);
    d.client.publish('devices/t-cut/messages/events/', 'cut', { qos: 1 });
    await gone;
    expect(bodiesOf(hub, 't-cut')).toEqual([]);
  });

  it('refuses actions that make no sense for telemetry', () => {
    expect(() => hub.faults.add({ operation: 'telemetry', action: 'pause' })).toThrow(/does not apply/);
  });
});

describe('faults on telemetry over device HTTPS', () => {
  it('fails a POST with the chosen status and IoT Hub error body; nothing is sent', async () => {
    hub.createDevice('th-fail');
    hub.faults.add({ id: 'th-503', operation: 'telemetry', device: 'th-fail', count: 1, action: 'fail', status: 503 });
    const res = await postTelemetry(hub, 'th-fail', 'refused');
    expect(res.status).toBe(503);
    expect(errorOf(res)).toMatchObject({ name: 'ServiceUnavailable', header: 'ServiceUnavailable' });
    expect(bodiesOf(hub, 'th-fail')).toEqual([]);
    expect((await postTelemetry(hub, 'th-fail', 'ok')).status).toBe(204);
    expect(bodiesOf(hub, 'th-fail')).toEqual(['ok']);
    await expect.poll(() => requests.find((r) => r.deviceId === 'th-fail' && r.status === 503)).toMatchObject({ plane: 'http', fault: 'th-503' });
  });

  it('delays a POST, then sends the message and answers 204', async () => {
    hub.createDevice('th-delay');
    hub.faults.add({ operation: 'telemetry', device: 'th-delay', count: 1, action: 'delay', delayMs: 300 });
    const started = Date.now();
    const res = await postTelemetry(hub, 'th-delay', 'late');
    expect(res.status).toBe(204);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(bodiesOf(hub, 'th-delay')).toEqual(['late']);
  });

  it('disconnects a POST: the client sees the connection reset and nothing is sent', async () => {
    hub.createDevice('th-cut');
    hub.faults.add({ operation: 'telemetry', device: 'th-cut', count: 1, action: 'disconnect' });
    await expect(postTelemetry(hub, 'th-cut', 'cut')).rejects.toThrow();
    expect(bodiesOf(hub, 'th-cut')).toEqual([]);
  });

  it('does not touch C2D receives of the same device', async () => {
    hub.createDevice('th-c2d');
    hub.faults.add({ operation: 'telemetry', device: 'th-c2d', action: 'fail', status: 500 });
    const res = await call(hub, { method: 'GET', path: '/devices/th-c2d/messages/devicebound', authorization: deviceToken(hub, 'th-c2d') });
    expect(res.status).toBe(204);
  });
});

describe('the D2C throttle of a tier', () => {
  it('S1: a burst of HTTPS telemetry passes 100 at once (each message of a batch counted), queues the next second, and answers the rest 429', async () => {
    const h = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, dashboard: false, tier: 'S1', clock: 'manual' });
    try {
      h.createDevice('th-burst');
      // A batch of 60 and 40 singles take one second's quota of 100.
      const batch = JSON.stringify(Array.from({ length: 60 }, (_, i) => ({ body: Buffer.from(`b${i}`).toString('base64') })));
      const first = await postTelemetry(h, 'th-burst', batch, { 'Content-Type': 'application/vnd.microsoft.iothub.json' });
      expect(first.status).toBe(204);
      for (let i = 0; i < 40; i++) expect((await postTelemetry(h, 'th-burst', `s${i}`)).status).toBe(204);
      expect(h.telemetry({ deviceId: 'th-burst' })).toHaveLength(100);
      // The next second's 100 wait for tokens; beyond it, 429 at once.
      const answered: RawResponse[] = [];
      const queued = Array.from({ length: 100 }, (_, i) => postTelemetry(h, 'th-burst', `q${i}`).then((r) => void answered.push(r)));
      const refused = await postTelemetry(h, 'th-burst', 'too many');
      expect(refused.status).toBe(429);
      expect(errorOf(refused)).toMatchObject({ name: 'ThrottlingException', header: 'ThrottlingException' });
      expect(answered).toHaveLength(0);
      await h.clock.advance(1_000);
      await Promise.all(queued);
      expect(answered.every((r) => r.status === 204)).toBe(true);
      expect(h.telemetry({ deviceId: 'th-burst' })).toHaveLength(200);
    } finally {
      await h.stop();
    }
  }, 60_000);

  it('counts MQTT telemetry against the D2C quota, not the twin quotas, and leaves device HTTPS C2D routes out of the registry quota', async () => {
    const h = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, dashboard: false, tier: 'F1', clock: 'manual' });
    try {
      h.createDevice('t-quota');
      const d = await connectRaw(h, 't-quota');
      for (let i = 0; i < 100; i++) d.client.publish('devices/t-quota/messages/events/', `m${i}`, { qos: 0 });
      await expect.poll(() => h.telemetry({ deviceId: 't-quota' }).length).toBe(100);
      // The 101st waits for the next second's token (shaped, then carried out): the test clock stands still meanwhile.
      let acked = false;
      const late = d.client.publishAsync('devices/t-quota/messages/events/', 'late', { qos: 1 }).then(() => void (acked = true));
      h.createDevice('t-other');
      const other = await connectRaw(h, 't-other');
      for (let i = 0; i < 5; i++) await other.request(`$iothub/twin/GET/?$rid=o${i}`, '', `o${i}`);
      expect(acked).toBe(false);
      expect(h.telemetry({ deviceId: 't-quota' })).toHaveLength(100);
      await other.close();
      await h.clock.advance(1_000);
      await late;
      expect(h.telemetry({ deviceId: 't-quota' })).toHaveLength(101);
      // F1's registry quota is 100 a minute: 150 C2D polls are not counted against it.
      for (let i = 0; i < 150; i++) expect((await call(h, { method: 'GET', path: '/devices/t-quota/messages/devicebound', authorization: deviceToken(h, 't-quota') })).status).toBe(204);
      await d.close();
    } finally {
      await h.stop();
    }
  }, 60_000);
});
