import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConnectionString, signSasToken, topics, TWIN_RESPONSE_FILTER } from '@hubemu/shared';
import { startHub, type Hub, type HubOptionsInput } from '../../src/index.js';
import { call, errorOf, type RawResponse } from '../rest-api/http-helpers.js';

let hub: Hub | undefined;
afterEach(async () => {
  await hub?.stop();
  hub = undefined;
});

async function tierHub(tier: HubOptionsInput['tier'], options: HubOptionsInput = {}): Promise<Hub> {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, mqttPlainPort: 0, dashboard: false, tier, ...options });
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
    const h = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, dashboard: false });
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

  // Twin updates have a per-second quota, the smallest on every tier (50/s on F1 and S1, max(50/s, 5/s
  // per unit) on S2, 250/s on S3), so a burst shows all three outcomes: one second's quota passes at
  // once, the next second's waits in the shaping queue for its tokens, the rest is refused at once.
  // The hub runs a test clock, which stands still: no token comes back until the test moves it.
  it.each([
    ['F1', 50],
    ['S1', 50],
    ['S2', 50],
    ['S3', 250],
  ] as const)("%s: a burst of twin updates passes %i at once, queues the next second's, and answers the rest 429 ThrottlingException", async (tier, quota) => {
    const h = await tierHub(tier, { clock: 'manual' });
    h.createDevice('burst');
    const refusedCount = 3;
    const answered: RawResponse[] = [];
    const calls = Array.from({ length: 2 * quota + refusedCount }, (_, n) =>
      call(h, { method: 'PATCH', path: '/twins/burst', body: { properties: { desired: { n } } } }).then((response) => {
        answered.push(response);
        return response;
      }),
    );
    await expect.poll(() => answered.length, { timeout: 30_000 }).toBe(quota + refusedCount);
    const statuses = answered.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(quota);
    expect(statuses.filter((s) => s === 429)).toHaveLength(refusedCount);
    for (const refused of answered.filter((r) => r.status === 429)) {
      expect(errorOf(refused)).toMatchObject({ name: 'ThrottlingException', header: 'ThrottlingException' });
    }

    // One second on the hub's clock: the queued second's worth is carried out, in full.
    await h.clock.advance(1_000);
    const all = await Promise.all(calls);
    expect(all.filter((r) => r.status === 200)).toHaveLength(2 * quota);
    expect(all.filter((r) => r.status === 429)).toHaveLength(refusedCount);
    expect(h.getTwin('burst').properties.desired.$version).toBe(2 * quota + 1);
  }, 60_000);
});
