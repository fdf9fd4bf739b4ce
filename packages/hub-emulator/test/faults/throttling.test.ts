import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConnectionString, signSasToken, topics, TWIN_RESPONSE_FILTER } from '@hubemu/shared';
import { startHub, type Hub, type HubOptionsInput } from '../../src/index.js';
import { call, errorOf } from '../rest-api/http-helpers.js';

let hub: Hub | undefined;
afterEach(async () => {
  await hub?.stop();
  hub = undefined;
});

async function tierHub(tier: HubOptionsInput['tier']): Promise<Hub> {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, mqttPlainPort: 0, dashboard: false, tier });
  return hub;
}

/** Calls one after the other, so the bucket sees them in order; returns the statuses. */
async function statusesOf(h: Hub, n: number, path: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await call(h, { method: 'GET', path })).status);
  return statuses;
}

/** A device on the plain MQTT port, subscribed to twin responses. */
async function plainDevice(h: Hub, deviceId: string): Promise<MqttClient> {
  const cs = parseConnectionString(h.deviceConnectionString(deviceId));
  const client = await mqtt.connectAsync(`mqtt://localhost:${h.ports.mqttPlain}`, {
    clientId: deviceId,
    username: `${cs.HostName}/${deviceId}/?api-version=2021-04-12`,
    password: signSasToken(`${cs.HostName}/devices/${deviceId}`, cs.SharedAccessKey as string, Math.floor(Date.now() / 1000) + 600),
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  await client.subscribeAsync(TWIN_RESPONSE_FILTER);
  return client;
}

describe('throttling like the real tiers', () => {
  it('is off without a tier', async () => {
    const h = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, dashboard: false });
    hub = h;
    expect(new Set(await statusesOf(h, 30, '/configurations'))).toEqual(new Set([200]));
  });

  it("passes a burst of one minute's configuration quota on F1, then answers 429 ThrottlingException", async () => {
    const h = await tierHub('F1');
    const statuses = await statusesOf(h, 24, '/configurations');
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(200));
    expect(statuses.slice(20)).toEqual(Array(4).fill(429));
    const refused = await call(h, { method: 'GET', path: '/configurations' });
    expect(errorOf(refused)).toMatchObject({ name: 'ThrottlingException', header: 'ThrottlingException' });
  });

  it('scales the quota by units', async () => {
    const h = await tierHub({ name: 'S1', units: 2 });
    const statuses = await statusesOf(h, 42, '/configurations');
    expect(statuses.filter((s) => s === 200)).toHaveLength(40);
    expect(statuses.slice(40)).toEqual([429, 429]);
  });

  it('shapes a burst of reported patches from many devices on S1: 50 at once, the next delayed, the rest 429 on $iothub/twin/res/429', async () => {
    const h = await tierHub('S1');
    const ids = Array.from({ length: 120 }, (_, i) => `burst-${i}`);
    for (const id of ids) h.createDevice(id);
    const clients = await Promise.all(ids.map((id) => plainDevice(h, id)));
    try {
      const answers = await Promise.all(
        clients.map(
          (client, i) =>
            new Promise<{ topic: string; body: string }>((resolve) => {
              client.once('message', (topic, payload) => resolve({ topic, body: payload.toString() }));
              client.publish(topics.twinPatchReported(`r${i}`), JSON.stringify({ n: i }));
            }),
        ),
      );
      const statuses = answers.map((a) => Number(/res\/(\d+)\//.exec(a.topic)?.[1]));
      expect(statuses.filter((s) => s === 204).length).toBeGreaterThanOrEqual(50);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
      expect(statuses.every((s) => s === 204 || s === 429)).toBe(true);
      const refused = answers.find((a) => a.topic.includes('/429/'));
      expect(JSON.parse(refused?.body ?? '{}')).toMatchObject({ errorCode: 429001 });
    } finally {
      await Promise.all(clients.map((c) => c.endAsync(true)));
    }
  }, 30_000);
});
