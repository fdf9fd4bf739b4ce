import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../src/index.js';
import { call, errorOf } from '../rest-api/http-helpers.js';

let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, tier: 'F1' });
});
afterAll(async () => {
  await hub.stop();
});

describe("a hub started with tier 'F1'", () => {
  it('allows one active job and refuses a second with 429 ThrottlingMaxActiveJobCountExceeded', async () => {
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const body = { type: 'scheduleUpdateTwin', queryCondition: '*', updateTwin: { properties: { desired: { x: 1 } } }, startTime: later };
    expect((await call(hub, { method: 'PUT', path: '/jobs/v2/one', body })).status).toBe(200);
    const second = await call(hub, { method: 'PUT', path: '/jobs/v2/two', body });
    expect(second.status).toBe(429);
    expect(errorOf(second).name).toBe('ThrottlingMaxActiveJobCountExceeded');
    await call(hub, { method: 'POST', path: '/jobs/v2/one/cancel' });
    expect((await call(hub, { method: 'PUT', path: '/jobs/v2/two', body })).status).toBe(200);
  });

  it('allows 10 configurations and refuses the 11th with 403 IotHubQuotaExceeded', async () => {
    for (let i = 0; i < 10; i++) {
      expect((await call(hub, { method: 'PUT', path: `/configurations/c${i}`, body: { content: { deviceContent: {} }, targetCondition: '*' } })).status).toBe(201);
    }
    const eleventh = await call(hub, { method: 'PUT', path: '/configurations/c10', body: { content: { deviceContent: {} }, targetCondition: '*' } });
    expect(eleventh.status).toBe(403);
    expect(errorOf(eleventh).name).toBe('IotHubQuotaExceeded');
  });
});
