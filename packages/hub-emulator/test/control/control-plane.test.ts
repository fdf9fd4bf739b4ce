import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DESIRED_PATCH_FILTER, TWIN_RESPONSE_FILTER, topics, type TrafficRecord } from '@hubemu/shared';
import { startHub, type Hub, type SeedInput } from '../../src/index.js';
import { closed, connectRaw } from '../raw-device.js';
import { call, errorOf, policyToken } from '../rest-api/http-helpers.js';

const OPS_KEY = Buffer.from('hubemu-test-ops-policy-key').toString('base64');
const SEED: SeedInput = {
  devices: [{ deviceId: 'seeded-{n}', count: 3, tags: { site: 'a' }, desired: { interval: 5 }, modules: [{ moduleId: 'm1' }] }],
  policies: [
    { name: 'ops', primaryKey: OPS_KEY, permissions: ['RegistryRead', 'RegistryWrite', 'ServiceConnect', 'DeviceConnect'] },
    { name: 'twinsOnly', primaryKey: OPS_KEY, permissions: ['ServiceConnect'] },
  ],
};

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, seed: SEED, dashboard: false });
});
afterAll(async () => {
  await hub.stop();
});
beforeEach(async () => {
  await hub.reset();
});

const records = (path: string, policy = 'iothubowner'): Promise<TrafficRecord[]> => call(hub, { method: 'GET', path, policy }).then((r) => r.json.records as TrafficRecord[]);

describe('who may use the test controls', () => {
  it.each([
    ['no token', null, 'IotHubUnauthorized'],
    ['the service policy', 'service', 'IotHubUnauthorizedAccess'],
    ['the registryReadWrite policy', 'registryReadWrite', 'IotHubUnauthorizedAccess'],
    ['a seeded policy without every permission', 'twinsOnly', 'IotHubUnauthorizedAccess'],
  ])('refuses %s with 401 and the service error body', async (_what, policy, name) => {
    for (const [method, path] of [['POST', '/emulator/reset'], ['GET', '/emulator/traffic'], ['POST', '/emulator/devices/seeded-1/disconnect'], ['GET', '/emulator/nothing-here']] as const) {
      const response = await call(hub, { method, path, policy });
      expect(response.status).toBe(401);
      expect(errorOf(response).name).toBe(name);
      expect(response.headers['iothub-errorcode']).toBe(name);
    }
    expect(hub.registry.statistics().totalDeviceCount).toBe(3);
  });

  it('takes iothubowner, or a seeded policy with every permission', async () => {
    expect((await call(hub, { method: 'GET', path: '/emulator/traffic' })).status).toBe(200);
    expect((await call(hub, { method: 'GET', path: '/emulator/traffic', policy: 'ops' })).status).toBe(200);
  });

  it('answers 404 with the service error body for a control it does not have', async () => {
    const response = await call(hub, { method: 'GET', path: '/emulator/nothing-here' });
    expect(response.status).toBe(404);
    expect(errorOf(response).name).toBe('NotFound');
  });
});

describe('POST /emulator/reset', () => {
  it('drops connections and returns to the seeded state without restarting the listeners', async () => {
    hub.createDevice('extra');
    hub.updateTwin('seeded-1', { properties: { desired: { interval: 60 } } });
    const device = await connectRaw(hub, 'seeded-2');
    const gone = closed(device.client);
    const response = await call(hub, { method: 'POST', path: '/emulator/reset' });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ devices: 3, disconnected: 1 });
    expect(typeof response.json.durationMs).toBe('number');
    await gone;
    expect(hub.connectedDevices()).toEqual([]);
    expect(hub.registry.statistics().totalDeviceCount).toBe(3);
    expect(() => hub.getTwin('extra')).toThrow(/extra/);
    expect(hub.getTwin('seeded-1').properties.desired).toMatchObject({ interval: 5 });
    expect(hub.getTwin('seeded-1', 'm1').moduleId).toBe('m1');
    // Same ports, same listeners: a device connects again at once.
    const again = await connectRaw(hub, 'seeded-2');
    expect(hub.connectedDevices()).toEqual(['seeded-2']);
    await again.close();
  });

  it('empties the traffic record and its dropped count', async () => {
    await call(hub, { method: 'GET', path: '/twins/seeded-1' });
    expect(await records('/emulator/traffic')).not.toEqual([]);
    await call(hub, { method: 'POST', path: '/emulator/reset' });
    expect(await call(hub, { method: 'GET', path: '/emulator/traffic' }).then((r) => r.json)).toEqual({ records: [], dropped: 0 });
  });
});

describe('GET /emulator/traffic', () => {
  it('records both planes with identity, operation, topic or route, status, request id and sizes, and not its own calls', async () => {
    const device = await connectRaw(hub, 'seeded-1', { subscribe: [TWIN_RESPONSE_FILTER, DESIRED_PATCH_FILTER] });
    await device.request(topics.twinGet('r1'), '', 'r1');
    await call(hub, { method: 'PATCH', path: '/twins/seeded-1', body: { properties: { desired: { interval: 7 } } }, headers: { 'x-ms-client-request-id': 'req-7' } });
    await expect.poll(() => records('/emulator/traffic?direction=out').then((r) => r.length)).toBe(1);
    const all = await records('/emulator/traffic?deviceId=seeded-1');
    // In the order they completed: the PATCH's notification went out before the PATCH was answered.
    expect(all.map((r) => `${r.plane} ${r.direction} ${r.operation}`)).toEqual([
      'mqtt in connect',
      'mqtt in twin.get',
      'mqtt out twin.desiredNotification',
      'http in PATCH /twins/:deviceId',
    ]);
    const [, get, notification, patch] = all;
    expect(get).toMatchObject({ deviceId: 'seeded-1', principal: 'seeded-1', topic: topics.twinGet('r1'), status: 200, requestId: 'r1', requestBytes: 0 });
    expect(get?.responseBytes).toBeGreaterThan(0);
    expect(patch).toMatchObject({ principal: 'iothubowner', status: 200, requestId: 'req-7' });
    expect(patch?.requestBytes).toBeGreaterThan(0);
    expect(notification?.payload).toContain('"interval":7');
    expect(all.some((r) => r.operation.includes('/emulator'))).toBe(false);
    await device.close();
  });

  it('filters by device, module, plane, operation (exact or prefix*) and time', async () => {
    await call(hub, { method: 'GET', path: '/twins/seeded-1' });
    await call(hub, { method: 'GET', path: '/twins/seeded-2/modules/m1' });
    const device = await connectRaw(hub, 'seeded-3');
    await device.request(topics.twinGet('f1'), '', 'f1');
    await device.close();
    expect((await records('/emulator/traffic?deviceId=seeded-2')).map((r) => r.operation)).toEqual(['GET /twins/:deviceId/modules/:moduleId']);
    expect((await records('/emulator/traffic?moduleId=m1')).map((r) => r.deviceId)).toEqual(['seeded-2']);
    expect((await records('/emulator/traffic?plane=mqtt')).map((r) => r.operation)).toEqual(['connect', 'twin.get']);
    expect((await records('/emulator/traffic?operation=twin.get')).map((r) => r.deviceId)).toEqual(['seeded-3']);
    expect((await records('/emulator/traffic?operation=GET%20*')).map((r) => r.deviceId)).toEqual(['seeded-1', 'seeded-2']);
    const all = await records('/emulator/traffic');
    const last = all.at(-1)?.at as string;
    expect(await records(`/emulator/traffic?since=${encodeURIComponent(last)}`)).toEqual(all.filter((r) => Date.parse(r.at) >= Date.parse(last)));
    expect(await records('/emulator/traffic?until=2000-01-01T00:00:00Z')).toEqual([]);
  });

  it('answers JSON lines for ?format=jsonl or an Accept header that asks for them', async () => {
    await call(hub, { method: 'GET', path: '/twins/seeded-1' });
    await call(hub, { method: 'GET', path: '/twins/seeded-2' });
    for (const input of [{ path: '/emulator/traffic?format=jsonl' }, { path: '/emulator/traffic', headers: { Accept: 'application/x-ndjson' } }]) {
      const response = await call(hub, { method: 'GET', ...input });
      expect(response.headers['content-type']).toMatch(/^application\/x-ndjson/);
      expect(response.headers['hubemu-traffic-dropped']).toBe('0');
      const lines = response.text.trimEnd().split('\n').map((line) => JSON.parse(line) as TrafficRecord);
      expect(lines.map((r) => r.deviceId)).toEqual(['seeded-1', 'seeded-2']);
    }
  });

  it('refuses a filter it does not know, a bad time or a bad format with 400 ArgumentInvalid', async () => {
    for (const query of ['colour=red', 'since=yesterday', 'format=xml', 'direction=sideways']) {
      const response = await call(hub, { method: 'GET', path: `/emulator/traffic?${query}` });
      expect(response.status, query).toBe(400);
      expect(errorOf(response).name).toBe('ArgumentInvalid');
    }
  });

  it('keeps the newest records within its bound and counts the ones it dropped', async () => {
    const small = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, httpPort: 0, dashboard: false, trafficBufferSize: 3 });
    try {
      small.createDevice('d1');
      for (let i = 0; i < 5; i++) await call(small, { method: 'GET', path: '/twins/d1', headers: { 'x-ms-client-request-id': `r${i}` } });
      const page = await call(small, { method: 'GET', path: '/emulator/traffic' }).then((r) => r.json as { records: TrafficRecord[]; dropped: number });
      expect(page.records.map((r) => r.requestId)).toEqual(['r2', 'r3', 'r4']);
      expect(page.dropped).toBe(2);
      expect(small.trafficDropped()).toBe(2);
      // The plain HTTP port serves the control plane too.
      const plain = await fetch(`http://localhost:${small.ports.http}/emulator/traffic?format=jsonl`, { headers: { Authorization: policyToken(small, 'iothubowner') } });
      expect([plain.status, plain.headers.get('hubemu-traffic-dropped')]).toEqual([200, '2']);
    } finally {
      await small.stop();
    }
  });
});

describe('POST /emulator/devices/{id}[/modules/{mid}]/disconnect', () => {
  it('drops a connected device or module and says whether it was connected', async () => {
    const device = await connectRaw(hub, 'seeded-1');
    const module = await connectRaw(hub, 'seeded-1', { moduleId: 'm1' });
    const deviceGone = closed(device.client);
    const moduleGone = closed(module.client);
    expect((await call(hub, { method: 'POST', path: '/emulator/devices/seeded-1/modules/m1/disconnect' })).json).toEqual({ disconnected: true });
    await moduleGone;
    expect(hub.connectedDevices()).toEqual(['seeded-1']);
    expect((await call(hub, { method: 'POST', path: '/emulator/devices/seeded-1/disconnect' })).json).toEqual({ disconnected: true });
    await deviceGone;
    expect((await call(hub, { method: 'POST', path: '/emulator/devices/seeded-1/disconnect' })).json).toEqual({ disconnected: false });
  });

  it('answers 404 DeviceNotFound or ModuleNotFound for an identity that does not exist', async () => {
    const device = await call(hub, { method: 'POST', path: '/emulator/devices/nobody/disconnect' });
    expect([device.status, errorOf(device).name]).toEqual([404, 'DeviceNotFound']);
    const module = await call(hub, { method: 'POST', path: '/emulator/devices/seeded-1/modules/nope/disconnect' });
    expect([module.status, errorOf(module).name]).toEqual([404, 'ModuleNotFound']);
  });
});
