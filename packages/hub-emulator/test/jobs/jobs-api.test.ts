import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../src/index.js';
import { call, errorOf } from '../rest-api/http-helpers.js';
import { methodFleet } from './method-fleet.js';

let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, configurationIntervalMs: 50 });
});
afterAll(async () => {
  await hub.stop();
});

const getJob = async (jobId: string) => (await call(hub, { method: 'GET', path: `/jobs/v2/${jobId}` })).json;

function createDevices(prefix: string, count: number, tags: Record<string, string | number> = {}): string[] {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${String(i).padStart(3, '0')}`;
    hub.createDevice(id, { tags: { ...tags, cohort: prefix } });
    ids.push(id);
  }
  return ids;
}

async function deviceJobRows(jobId: string): Promise<Array<Record<string, any>>> {
  const rows: Array<Record<string, any>> = [];
  let continuation: string | undefined;
  do {
    const res = await call(hub, {
      method: 'POST',
      path: '/devices/query',
      body: { query: `SELECT * FROM devices.jobs WHERE devices.jobs.jobId = '${jobId}'` },
      headers: continuation ? { 'x-ms-continuation': continuation } : {},
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-ms-item-type']).toBe('deviceJob');
    rows.push(...(res.json as Array<Record<string, any>>));
    continuation = res.headers['x-ms-continuation'] as string | undefined;
  } while (continuation);
  return rows;
}

describe('PUT /jobs/v2/{id}: twin update jobs', () => {
  it('answers the JobResponse as queued, then updates every matching twin and completes with statistics', async () => {
    createDevices('tw', 40, { floor: 3 });
    createDevices('tx', 5, { floor: 4 });
    const res = await call(hub, {
      method: 'PUT',
      path: '/jobs/v2/twin-job-1',
      body: { jobId: 'twin-job-1', type: 'scheduleUpdateTwin', updateTwin: { properties: { desired: { building: '43' } }, tags: { stamped: true }, etag: '*' }, queryCondition: 'tags.floor = 3', startTime: null, maxExecutionTimeInSeconds: 120 },
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json).toMatchObject({ jobId: 'twin-job-1', type: 'scheduleUpdateTwin', status: 'queued', queryCondition: 'tags.floor = 3', maxExecutionTimeInSeconds: 120 });
    expect(res.json.createdTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);

    await expect.poll(async () => (await getJob('twin-job-1')).status, { timeout: 10_000 }).toBe('completed');
    const job = await getJob('twin-job-1');
    expect(job.deviceJobStatistics).toEqual({ deviceCount: 40, succeededCount: 40, failedCount: 0, runningCount: 0, pendingCount: 0 });
    expect(hub.getTwin('tw-007').properties.desired.building).toBe('43');
    expect(hub.getTwin('tw-007').tags).toMatchObject({ stamped: true });
    expect(hub.getTwin('tx-001').properties.desired.building).toBeUndefined();

    const rows = await deviceJobRows('twin-job-1');
    expect(rows).toHaveLength(40);
    expect(rows[0]).toMatchObject({ deviceId: 'tw-000', jobId: 'twin-job-1', jobType: 'scheduleUpdateTwin', status: 'completed', outcome: { deviceMethodResponse: null } });
    expect(Object.keys(rows[0] ?? {}).sort()).toEqual(['createdDateTimeUtc', 'deviceId', 'endTimeUtc', 'jobId', 'jobType', 'lastUpdatedDateTimeUtc', 'outcome', 'startTimeUtc', 'status']);
  });

  it('notifies connected devices of the desired change the job wrote', async () => {
    createDevices('notify', 1);
    const { connectRaw } = await import('../raw-device.js');
    const device = await connectRaw(hub, 'notify-000', { subscribe: ['$iothub/twin/PATCH/properties/desired/#'] });
    try {
      await call(hub, { method: 'PUT', path: '/jobs/v2/notify-job', body: { type: 'scheduleUpdateTwin', queryCondition: "deviceId = 'notify-000'", updateTwin: { properties: { desired: { led: 'on' } }, etag: '*' }, startTime: null } });
      await expect.poll(() => device.messages.map((m) => JSON.parse(m.body) as Record<string, unknown>), { timeout: 10_000 }).toContainEqual(expect.objectContaining({ led: 'on' }));
    } finally {
      await device.close();
    }
  });

  it('answers queued for a job whose startTime is later, as the service does, and runs it at that time', async () => {
    createDevices('sched', 3);
    const startTime = new Date(Date.now() + 1_500).toISOString();
    const res = await call(hub, { method: 'PUT', path: '/jobs/v2/later', body: { type: 'scheduleUpdateTwin', queryCondition: "tags.cohort = 'sched'", updateTwin: { properties: { desired: { when: 'later' } }, etag: '*' }, startTime } });
    expect(res.json.status).toBe('queued');
    expect(hub.getTwin('sched-000').properties.desired.when).toBeUndefined();
    await expect.poll(async () => (await getJob('later')).status, { timeout: 10_000, interval: 100 }).toBe('completed');
    expect(hub.getTwin('sched-002').properties.desired.when).toBe('later');
  });
});

describe('PUT /jobs/v2/{id}: updateTwin bodies as the service takes them', () => {
  const twinJob = (jobId: string, cohort: string, updateTwin: unknown, startTime: string | null = null) =>
    call(hub, { method: 'PUT', path: `/jobs/v2/${jobId}`, body: { type: 'scheduleUpdateTwin', queryCondition: `tags.cohort = '${cohort}'`, updateTwin, startTime } });

  it('accepts empty desired and reported sections, as Microsoft SDK tests send them, and writes only the tags', async () => {
    const [id] = createDevices('emptysec', 1) as [string];
    const before = hub.getTwin(id);
    const res = await twinJob('empty-sections', 'emptysec', { etag: '*', tags: { key: 'value2' }, properties: { desired: {}, reported: {} } });
    expect(res.status).toBe(200);
    await expect.poll(async () => (await getJob('empty-sections')).status, { timeout: 10_000, interval: 50 }).toBe('completed');
    const after = hub.getTwin(id);
    expect(after.tags).toMatchObject({ key: 'value2' });
    expect(after.properties.desired.$version).toBe(before.properties.desired.$version);
    expect(after.properties.reported).toEqual(before.properties.reported);
  });

  it('accepts a patch whose every section is empty and completes it', async () => {
    const res = await twinJob('all-empty', 'nobody', { etag: '*', tags: {}, properties: { desired: {}, reported: {} } });
    expect(res.status).toBe(200);
    await expect.poll(async () => (await getJob('all-empty')).status, { timeout: 10_000, interval: 50 }).toBe('completed');
  });

  it('clears every desired property with "desired": null and every tag with "tags": null on each device', async () => {
    const ids = createDevices('clearsec', 2);
    for (const id of ids) await call(hub, { method: 'PATCH', path: `/twins/${id}`, body: { properties: { desired: { fan: 'on', mode: 'eco' } } } });
    const res = await twinJob('clear-sections', 'clearsec', { etag: '*', tags: null, properties: { desired: null } });
    expect(res.status).toBe(200);
    await expect.poll(async () => (await getJob('clear-sections')).status, { timeout: 10_000, interval: 50 }).toBe('completed');
    for (const id of ids) {
      const twin = hub.getTwin(id);
      expect(twin.tags ?? {}).toEqual({});
      expect(Object.keys(twin.properties.desired).filter((k) => !k.startsWith('$'))).toEqual([]);
    }
  });

  it('refuses reported values with 400 ArgumentInvalid', async () => {
    const res = await twinJob('reported-values', 'nobody', { etag: '*', properties: { reported: { x: 1 } } });
    expect(res.status).toBe(400);
    expect(errorOf(res).name).toBe('ArgumentInvalid');
    expect((await call(hub, { method: 'GET', path: '/jobs/v2/reported-values' })).status).toBe(404);
  });
});

describe('PUT /jobs/v2/{id}: direct method jobs', () => {
  it('calls the method on a few hundred devices, records answers, and fails the offline ones as DeviceNotOnline', async () => {
    const ids = createDevices('fleet', 300);
    const online = ids.filter((_, i) => i % 3 === 0);
    const fleet = await methodFleet(hub, online);
    try {
      const res = await call(hub, {
        method: 'PUT',
        path: '/jobs/v2/reboot-fleet',
        body: { jobId: 'reboot-fleet', type: 'scheduleDeviceMethod', cloudToDeviceMethod: { methodName: 'reboot', payload: { delay: 5 }, responseTimeoutInSeconds: 30 }, queryCondition: "tags.cohort = 'fleet'", startTime: null, maxExecutionTimeInSeconds: 3600 },
      });
      expect(res.json).toMatchObject({ status: 'queued', cloudToDeviceMethod: { methodName: 'reboot', payload: { delay: 5 }, responseTimeoutInSeconds: 30, connectTimeoutInSeconds: 0 } });
      await expect.poll(async () => (await getJob('reboot-fleet')).status, { timeout: 20_000 }).toBe('completed');
      const job = await getJob('reboot-fleet');
      expect(job.deviceJobStatistics).toEqual({ deviceCount: 300, succeededCount: 100, failedCount: 200, runningCount: 0, pendingCount: 0 });
      expect(fleet.received).toBe(100);

      const rows = await deviceJobRows('reboot-fleet');
      const answered = rows.find((r) => r.deviceId === 'fleet-000');
      expect(answered).toMatchObject({ status: 'completed', outcome: { deviceMethodResponse: { status: 200, payload: { deviceId: 'fleet-000', got: { delay: 5 } } } } });
      const offline = rows.find((r) => r.deviceId === 'fleet-001');
      expect(offline).toMatchObject({ status: 'failed', outcome: null, error: { code: 'DeviceNotOnline', description: expect.stringMatching(/connect/) } });
    } finally {
      await fleet.close();
    }
  });

  it('cancels mid-run: devices not yet called are cancelled and the job says cancelled', async () => {
    const ids = createDevices('slow', 150);
    const fleet = await methodFleet(hub, ids, { held: true });
    try {
      await call(hub, { method: 'PUT', path: '/jobs/v2/slow-job', body: { type: 'scheduleDeviceMethod', cloudToDeviceMethod: { methodName: 'update', responseTimeoutInSeconds: 60 }, queryCondition: "tags.cohort = 'slow'", startTime: null } });
      await expect.poll(() => fleet.received, { timeout: 10_000 }).toBe(100);
      const running = await getJob('slow-job');
      expect(running.status).toBe('running');
      expect(running.deviceJobStatistics).toMatchObject({ deviceCount: 150, runningCount: 100, pendingCount: 50 });

      const cancelled = await call(hub, { method: 'POST', path: '/jobs/v2/slow-job/cancel' });
      expect(cancelled.status).toBe(200);
      expect(cancelled.json).toMatchObject({ jobId: 'slow-job', status: 'cancelled', deviceJobStatistics: { deviceCount: 150, runningCount: 100, pendingCount: 0 } });
      expect(cancelled.json.endTime).toEqual(expect.any(String));

      fleet.open();
      await expect.poll(async () => (await getJob('slow-job')).deviceJobStatistics.succeededCount, { timeout: 10_000 }).toBe(100);
      const rows = await deviceJobRows('slow-job');
      expect(rows.filter((r) => r.status === 'cancelled')).toHaveLength(50);
      expect(fleet.received).toBe(100);
      expect((await getJob('slow-job')).status).toBe('cancelled');
    } finally {
      await fleet.close();
    }
  });
});

describe('GET /jobs/v2/query', () => {
  it('pages JobResponses with x-ms-continuation only while more remain and x-ms-item-type jobResponse', async () => {
    const seen: string[] = [];
    let continuation: string | undefined;
    let pages = 0;
    do {
      const res = await call(hub, { method: 'GET', path: '/jobs/v2/query?api-version=2021-04-12&jobType=scheduleUpdateTwin', headers: { 'x-ms-max-item-count': '2', ...(continuation ? { 'x-ms-continuation': continuation } : {}) } });
      expect(res.status).toBe(200);
      expect(res.headers['x-ms-item-type']).toBe('jobResponse');
      seen.push(...(res.json as Array<{ jobId: string; type: string }>).map((j) => j.jobId));
      continuation = res.headers['x-ms-continuation'] as string | undefined;
      pages += 1;
    } while (continuation);
    expect(seen).toEqual(expect.arrayContaining(['twin-job-1', 'notify-job', 'later']));
    expect(seen).not.toContain('reboot-fleet');
    expect(pages).toBe(Math.ceil(seen.length / 2));
  });

  it('filters by status', async () => {
    const res = await call(hub, { method: 'GET', path: '/jobs/v2/query?api-version=2021-04-12&jobStatus=cancelled' });
    expect((res.json as Array<{ jobId: string }>).map((j) => j.jobId)).toEqual(['slow-job']);
  });
});

describe('job errors', () => {
  it('answers 409 JobAlreadyExists, 404 JobNotFound and 400 for a bad condition or body', async () => {
    const body = { type: 'scheduleUpdateTwin', queryCondition: '*', updateTwin: { properties: { desired: { x: 1 } }, etag: '*' }, startTime: new Date(Date.now() + 3_600_000).toISOString() };
    expect((await call(hub, { method: 'PUT', path: '/jobs/v2/dup', body })).status).toBe(200);
    const dup = await call(hub, { method: 'PUT', path: '/jobs/v2/dup', body });
    expect(dup.status).toBe(409);
    expect(errorOf(dup).name).toBe('JobAlreadyExists');
    await call(hub, { method: 'POST', path: '/jobs/v2/dup/cancel' });

    const missing = await call(hub, { method: 'GET', path: '/jobs/v2/nope' });
    expect(missing.status).toBe(404);
    expect(errorOf(missing).name).toBe('JobNotFound');
    expect((await call(hub, { method: 'POST', path: '/jobs/v2/nope/cancel' })).status).toBe(404);

    const badCondition = await call(hub, { method: 'PUT', path: '/jobs/v2/bad', body: { ...body, queryCondition: "tags.x = 'open" } });
    expect(badCondition.status).toBe(400);
    expect(errorOf(badCondition).message).toMatch(/position/);

    const badType = await call(hub, { method: 'PUT', path: '/jobs/v2/bad', body: { ...body, type: 'reboot' } });
    expect(badType.status).toBe(400);
    expect(errorOf(badType).name).toBe('ArgumentInvalid');
  });
});

describe('method jobs and MQTT topic names', () => {
  it('refuses a method job whose method name holds # or + with 400 ArgumentInvalid at creation, keeping no job', async () => {
    for (const [jobId, methodName] of [['wild-hash', 'a#b'], ['wild-plus', 'a+b']] as const) {
      const res = await call(hub, {
        method: 'PUT',
        path: `/jobs/v2/${jobId}`,
        body: { type: 'scheduleDeviceMethod', cloudToDeviceMethod: { methodName, responseTimeoutInSeconds: 30 }, queryCondition: '*', startTime: null },
      });
      expect(res.status, methodName).toBe(400);
      expect(errorOf(res)).toMatchObject({ name: 'ArgumentInvalid', message: expect.stringContaining('wildcards # and +') });
      expect((await call(hub, { method: 'GET', path: `/jobs/v2/${jobId}` })).status).toBe(404);
    }
  });
});

describe('reset()', () => {
  it('stops a running job and forgets every job', async () => {
    const ids = createDevices('reset', 20);
    const fleet = await methodFleet(hub, ids, { held: true });
    try {
      await call(hub, { method: 'PUT', path: '/jobs/v2/reset-job', body: { type: 'scheduleDeviceMethod', cloudToDeviceMethod: { methodName: 'wait', responseTimeoutInSeconds: 60 }, queryCondition: "tags.cohort = 'reset'", startTime: null } });
      await expect.poll(() => fleet.received, { timeout: 10_000 }).toBe(20);
      await hub.reset();
      expect((await call(hub, { method: 'GET', path: '/jobs/v2/reset-job' })).status).toBe(404);
      expect((await call(hub, { method: 'GET', path: '/jobs/v2/query' })).json).toEqual([]);
      hub.createDevice('after-reset');
      await call(hub, { method: 'PUT', path: '/jobs/v2/after', body: { type: 'scheduleUpdateTwin', queryCondition: '*', updateTwin: { properties: { desired: { ok: true } } }, startTime: null } });
      await expect.poll(async () => (await getJob('after')).status, { timeout: 10_000 }).toBe('completed');
      expect(hub.getTwin('after-reset').properties.desired.ok).toBe(true);
    } finally {
      await fleet.close();
    }
  });
});
