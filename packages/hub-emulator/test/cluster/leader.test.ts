import { DESIRED_PATCH_FILTER, TWIN_RESPONSE_FILTER } from '@hubemu/shared';
import { describe, expect, it } from 'vitest';
import type { Hub } from '../../src/index.js';
import { closed, connectRaw, type RawDevice } from '../raw-device.js';
import { call } from '../rest-api/http-helpers.js';
import { testCluster } from './cluster-fixture.js';

/** Three processes of one hub: `a` starts first and leads; `b` and `c` follow. */
const cluster = testCluster(['a', 'b', 'c'], { leaseMs: 600, configurationIntervalMs: 100 });
const a = (): Hub => cluster.hub('a');
const b = (): Hub => cluster.hub('b');
const c = (): Hub => cluster.hub('c');

async function deviceOn(hub: Hub, deviceId: string): Promise<RawDevice> {
  return cluster.track(await connectRaw(hub, deviceId, { subscribe: [TWIN_RESPONSE_FILTER, DESIRED_PATCH_FILTER] }));
}

const desiredPushes = (d: RawDevice) => d.messages.filter((m) => m.topic.startsWith('$iothub/twin/PATCH/properties/desired/'));

describe('what runs once for a hub of several processes', () => {
  it('applies a configuration created through a follower exactly once to each targeted device, with its metrics on every process', async () => {
    for (let i = 0; i < 4; i++) expect((await call(b(), { method: 'PUT', path: `/devices/cfg-${i}`, body: { deviceId: `cfg-${i}` } })).status).toBe(200);
    await call(c(), { method: 'PATCH', path: '/twins/cfg-0', body: { tags: { fleet: 'x' } } });
    await call(c(), { method: 'PATCH', path: '/twins/cfg-1', body: { tags: { fleet: 'x' } } });
    const onA = await deviceOn(a(), 'cfg-0');
    const onB = await deviceOn(b(), 'cfg-1');
    const created = await call(c(), {
      method: 'PUT',
      path: '/configurations/fw',
      body: { id: 'fw', content: { deviceContent: { 'properties.desired.firmware': '2.0' } }, targetCondition: "tags.fleet = 'x'", priority: 1 },
    });
    expect(created.status).toBe(201);
    for (const hub of [a(), b(), c()]) {
      await expect.poll(async () => (await call(hub, { method: 'GET', path: '/configurations/fw' })).json.systemMetrics.results, { timeout: 10_000 }).toEqual({ targetedCount: 2, appliedCount: 2 });
    }
    for (const id of ['cfg-0', 'cfg-1']) {
      const twin = (await call(a(), { method: 'GET', path: `/twins/${id}` })).json;
      expect(twin.properties.desired).toMatchObject({ firmware: '2.0', $version: 2 });
      expect(twin.configurations).toEqual({ fw: { status: 'Applied' } });
    }
    // Passes keep running every 100 ms on the leader: the content is never applied a second time.
    await a().configurations.evaluateNow();
    await a().configurations.evaluateNow();
    expect((await call(b(), { method: 'GET', path: '/twins/cfg-0' })).json.properties.desired.$version).toBe(2);
    for (const d of [onA, onB]) expect(desiredPushes(d).map((m) => JSON.parse(m.body))).toEqual([{ firmware: '2.0', $version: 2 }]);
  });

  it('runs a twin-update job created through a follower once per device, finished as seen from every process', async () => {
    for (let i = 0; i < 3; i++) await call(a(), { method: 'PUT', path: `/devices/job-${i}`, body: { deviceId: `job-${i}` } });
    const put = await call(b(), {
      method: 'PUT',
      path: '/jobs/v2/tag-all',
      body: { jobId: 'tag-all', type: 'scheduleUpdateTwin', queryCondition: "STARTSWITH(deviceId, 'job-')", updateTwin: { tags: { tagged: true }, etag: '*' }, maxExecutionTimeInSeconds: 60 },
    });
    expect(put.status).toBe(200);
    for (const hub of [a(), b(), c()]) {
      await expect.poll(async () => (await call(hub, { method: 'GET', path: '/jobs/v2/tag-all' })).json.status, { timeout: 10_000 }).toBe('completed');
    }
    const job = (await call(c(), { method: 'GET', path: '/jobs/v2/tag-all' })).json;
    expect(job.deviceJobStatistics).toMatchObject({ deviceCount: 3, succeededCount: 3, failedCount: 0 });
    for (let i = 0; i < 3; i++) {
      const twin = (await call(c(), { method: 'GET', path: `/twins/job-${i}` })).json;
      expect(twin.tags).toEqual({ tagged: true });
      // Created at version 2; the job's one write makes it 3.
      expect(twin.version).toBe(3);
    }
    expect(await c().jobs.whenFinished('tag-all')).toMatchObject({ status: 'completed' });
  });

  it('keeps one connection per identity: a device connecting to another process drops its connection to the first', async () => {
    await call(a(), { method: 'PUT', path: '/devices/roamer', body: { deviceId: 'roamer' } });
    const first = await deviceOn(a(), 'roamer');
    const gone = closed(first.client);
    await deviceOn(c(), 'roamer');
    await gone;
    await expect.poll(() => a().connectedDevices().includes('roamer'), { timeout: 5000 }).toBe(false);
    expect(c().connectedDevices()).toContain('roamer');
    for (const hub of [a(), b(), c()]) {
      await expect.poll(async () => (await call(hub, { method: 'GET', path: '/devices/roamer' })).json.connectionState, { timeout: 5000 }).toBe('Connected');
    }
  });

  it('hands the leader work to another process when the leader stops, and the configuration keeps converging', async () => {
    await a().stop();
    await call(b(), { method: 'PUT', path: '/devices/late', body: { deviceId: 'late' } });
    await call(b(), { method: 'PATCH', path: '/twins/late', body: { tags: { fleet: 'x' } } });
    await expect.poll(async () => (await call(c(), { method: 'GET', path: '/twins/late' })).json.properties.desired.firmware, { timeout: 10_000 }).toBe('2.0');
    await expect.poll(async () => (await call(b(), { method: 'GET', path: '/configurations/fw' })).json.systemMetrics.results.appliedCount, { timeout: 10_000 }).toBe(3);
  });
});
