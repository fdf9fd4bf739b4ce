import { DESIRED_PATCH_FILTER, TWIN_RESPONSE_FILTER, topics } from '@hubemu/shared';
import { describe, expect, it } from 'vitest';
import type { Hub } from '../../src/index.js';
import { closed, connectRaw, type RawDevice } from '../raw-device.js';
import { call } from '../rest-api/http-helpers.js';
import { testCluster } from './cluster-fixture.js';

const cluster = testCluster(['a', 'b']);
const a = (): Hub => cluster.hub('a');
const b = (): Hub => cluster.hub('b');

async function createOn(hub: Hub, deviceId: string): Promise<void> {
  const res = await call(hub, { method: 'PUT', path: `/devices/${deviceId}`, body: { deviceId } });
  expect(res.status).toBe(200);
}

async function deviceOn(hub: Hub, deviceId: string): Promise<RawDevice> {
  return cluster.track(await connectRaw(hub, deviceId, { subscribe: [TWIN_RESPONSE_FILTER, DESIRED_PATCH_FILTER] }));
}

describe('two hub processes sharing one Redis', () => {
  it('serves on one process an identity created through the other', async () => {
    await createOn(b(), 'made-on-b');
    const res = await call(a(), { method: 'GET', path: '/devices/made-on-b' });
    expect(res.status).toBe(200);
    expect(res.json.deviceId).toBe('made-on-b');
  });

  it('delivers a desired change written through one process to the device connected to the other, in $version order', async () => {
    await createOn(b(), 'desired-1');
    const device = await deviceOn(a(), 'desired-1');
    for (let i = 1; i <= 5; i++) {
      const res = await call(b(), { method: 'PATCH', path: '/twins/desired-1', body: { properties: { desired: { step: i } } } });
      expect(res.status).toBe(200);
    }
    await expect.poll(() => device.messages.filter((m) => m.topic.startsWith('$iothub/twin/PATCH/properties/desired/')).length, { timeout: 5000 }).toBe(5);
    const versions = device.messages.filter((m) => m.topic.startsWith('$iothub/twin/PATCH/')).map((m) => JSON.parse(m.body).$version as number);
    expect(versions).toEqual([2, 3, 4, 5, 6]);
    expect(JSON.parse(device.messages.at(-1)?.body ?? '{}').step).toBe(5);
  });

  it('shows a reported patch acknowledged on one process to a twin read on the other', async () => {
    await createOn(a(), 'reported-1');
    const device = await deviceOn(a(), 'reported-1');
    const res = await device.request(topics.twinPatchReported('r1'), JSON.stringify({ temp: 21 }), 'r1');
    expect(res.topic).toBe('$iothub/twin/res/204/?$rid=r1&$version=2');
    const twin = await call(b(), { method: 'GET', path: '/twins/reported-1' });
    expect(twin.json.properties.reported.temp).toBe(21);
  });

  it('keeps every write when a device reports through one process while the service writes desired through the other', async () => {
    await createOn(b(), 'race-1');
    const device = await deviceOn(a(), 'race-1');
    const reports = Array.from({ length: 20 }, (_, i) => device.request(topics.twinPatchReported(`p${i}`), JSON.stringify({ [`r${i}`]: i }), `p${i}`));
    const patches = Array.from({ length: 20 }, (_, i) => call(b(), { method: 'PATCH', path: '/twins/race-1', body: { properties: { desired: { [`d${i}`]: i } } } }));
    const answers = await Promise.all(reports);
    expect(answers.every((r) => r.topic.startsWith('$iothub/twin/res/204/'))).toBe(true);
    expect((await Promise.all(patches)).map((r) => r.status)).toEqual(Array(20).fill(200));
    for (const hub of [a(), b()]) {
      const twin = (await call(hub, { method: 'GET', path: '/twins/race-1' })).json;
      expect(twin.properties.reported.$version).toBe(21);
      expect(twin.properties.desired.$version).toBe(21);
      expect(Object.keys(twin.properties.reported).filter((k) => k.startsWith('r'))).toHaveLength(20);
      expect(Object.keys(twin.properties.desired).filter((k) => k.startsWith('d'))).toHaveLength(20);
    }
    // Each committed desired version reaches the device once, in order; a patch that had to run again is not announced twice.
    const desiredVersions = () => device.messages.filter((m) => m.topic.startsWith('$iothub/twin/PATCH/properties/desired/')).map((m) => JSON.parse(m.body).$version as number);
    await expect.poll(() => desiredVersions().length, { timeout: 5000 }).toBe(20);
    expect(desiredVersions()).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
  });

  it('answers a query on one process with writes made through the other, and pages with a continuation token made by the other', async () => {
    for (let i = 0; i < 6; i++) await createOn(i % 2 ? a() : b(), `q-${i}`);
    const first = await call(a(), { method: 'POST', path: '/devices/query', body: { query: "SELECT deviceId FROM devices WHERE STARTSWITH(deviceId, 'q-')" }, headers: { 'x-ms-max-item-count': '4' } });
    expect(first.json).toHaveLength(4);
    const token = first.headers['x-ms-continuation'] as string;
    expect(token).toBeTruthy();
    const second = await call(b(), {
      method: 'POST',
      path: '/devices/query',
      body: { query: "SELECT deviceId FROM devices WHERE STARTSWITH(deviceId, 'q-')" },
      headers: { 'x-ms-max-item-count': '4', 'x-ms-continuation': token },
    });
    expect(second.status).toBe(200);
    expect([...first.json, ...second.json].map((r: { deviceId: string }) => r.deviceId).sort()).toEqual(['q-0', 'q-1', 'q-2', 'q-3', 'q-4', 'q-5']);
  });

  it('empties every process on a reset through one, and drops the devices connected to the other', async () => {
    await createOn(b(), 'before-reset');
    const device = await deviceOn(a(), 'before-reset');
    const gone = closed(device.client);
    const reset = await call(b(), { method: 'POST', path: '/emulator/reset' });
    expect(reset.status).toBe(200);
    await gone;
    expect((await call(a(), { method: 'GET', path: '/devices/before-reset' })).status).toBe(404);
    expect((await call(a(), { method: 'POST', path: '/devices/query', body: { query: 'SELECT * FROM devices' } })).json).toEqual([]);
  });
});
