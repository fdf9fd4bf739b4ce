import { TWIN_RESPONSE_FILTER, type TrafficPage } from '@hubemu/shared';
import { describe, expect, it } from 'vitest';
import type { Hub } from '../../src/index.js';
import { connectRaw } from '../raw-device.js';
import { call } from '../rest-api/http-helpers.js';
import { testCluster } from './cluster-fixture.js';

// A test clock an hour behind, so tokens signed by the real clock stay valid by it.
const START = new Date(Date.now() - 3_600_000).toISOString();
const cluster = testCluster(['a', 'b'], { leaseMs: 600, clock: { mode: 'manual', startAt: START } });
const a = (): Hub => cluster.hub('a');
const b = (): Hub => cluster.hub('b');

describe('the test controls of a hub of several processes', () => {
  it('adds a fault through one process that the other applies under the same id, and clears it through the other', async () => {
    await call(a(), { method: 'PUT', path: '/devices/f-1', body: { deviceId: 'f-1' } });
    const added = await call(a(), { method: 'POST', path: '/emulator/faults', body: { operation: 'twin.get', device: 'f-*', action: 'fail', status: 503 } });
    expect(added.status).toBe(201);
    const id = (added.json as { id: string }).id;
    expect(((await call(b(), { method: 'GET', path: '/emulator/faults' })).json as Array<{ id: string }>).map((f) => f.id)).toEqual([id]);

    const device = cluster.track(await connectRaw(b(), 'f-1', { subscribe: [TWIN_RESPONSE_FILTER] }));
    device.client.publish('$iothub/twin/GET/?$rid=1', '');
    await expect.poll(() => device.messages.map((m) => m.topic)).toEqual(['$iothub/twin/res/503/?$rid=1']);

    expect((await call(b(), { method: 'DELETE', path: `/emulator/faults/${id}` })).json).toEqual({ cleared: 1 });
    expect((await call(a(), { method: 'GET', path: '/emulator/faults' })).json).toEqual([]);
    device.client.publish('$iothub/twin/GET/?$rid=2', '');
    await expect.poll(() => device.messages.map((m) => m.topic).at(-1)).toBe('$iothub/twin/res/200/?$rid=2');
  });

  it("reads every process's traffic through any of them, each record naming its process", async () => {
    await call(a(), { method: 'PUT', path: '/devices/t-1', body: { deviceId: 't-1' } });
    await call(a(), { method: 'PUT', path: '/devices/t-2', body: { deviceId: 't-2' } });
    await b().settled();
    for (const [hub, deviceId] of [[a(), 't-1'], [b(), 't-2']] as const) {
      const device = cluster.track(await connectRaw(hub, deviceId, { subscribe: [TWIN_RESPONSE_FILTER] }));
      device.client.publish('$iothub/twin/GET/?$rid=1', '');
      await expect.poll(() => device.messages.length).toBe(1);
    }
    const page = (await call(a(), { method: 'GET', path: '/emulator/traffic?operation=twin.get' })).json as TrafficPage;
    expect(page.records.filter((r) => r.deviceId?.startsWith('t-')).map((r) => [r.deviceId, r.process])).toEqual(
      expect.arrayContaining([
        ['t-1', 'a'],
        ['t-2', 'b'],
      ]),
    );
    // The embedded API reads its own process.
    expect(b().traffic({ operation: 'twin.get' }).map((r) => r.deviceId)).not.toContain('t-1');
  });

  it('moves the test clock of every process', async () => {
    const moved = await call(b(), { method: 'POST', path: '/emulator/clock', body: { advance: 'PT10M' } });
    expect(moved.status).toBe(200);
    const { now } = moved.json as { now: string };
    expect(Date.parse(now)).toBeGreaterThanOrEqual(Date.parse(START) + 600_000);
    expect((await call(a(), { method: 'GET', path: '/emulator/clock' })).json).toMatchObject({ now, mode: 'manual' });
  });
});
