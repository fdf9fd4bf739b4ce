import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as DeviceClient } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { JobClient, Registry, type Configuration } from 'azure-iothub';
import { startE2eHub, waitFor, rejection } from './hub-fixture.js';

/**
 * Jobs and automatic device configurations driven the way a back end does it with Microsoft's
 * azure-iothub (JobClient, Registry configuration calls, Registry.createQuery on devices.jobs), on the
 * real port 443, with devices from Microsoft's azure-iot-device answering direct methods on 8883.
 */
type E2eHub = Awaited<ReturnType<typeof startE2eHub>>;
let hub: E2eHub;
let registry: Registry;
let jobs: JobClient;

const GROUP = "tags.fleet = 'jobs'";
const DEVICES = ['job-dev-1', 'job-dev-2', 'job-dev-3'];
/** job-dev-1 and job-dev-2 are online and answer `ping` with these statuses; job-dev-3 stays offline. */
const PING_STATUS: Record<string, number> = { 'job-dev-1': 200, 'job-dev-2': 503 };
const clients = new Map<string, DeviceClient>();
const pings: Array<{ deviceId: string; receivedAt: number; payload: unknown }> = [];

interface JobResponse {
  jobId: string;
  type: string;
  status: string;
  startTime: string;
  endTime?: string;
  deviceJobStatistics: { deviceCount: number; succeededCount: number; failedCount: number; runningCount: number; pendingCount: number };
}

interface DeviceJobRow {
  deviceId: string;
  jobId: string;
  jobType: string;
  status: string;
  outcome: { deviceMethodResponse?: { status: number; payload: unknown } } | null;
  error?: { code: string; description: string };
}

beforeAll(async () => {
  hub = await startE2eHub({
    configurationIntervalMs: 200,
    seed: { devices: [{ deviceId: 'job-dev-{n}', count: DEVICES.length, tags: { fleet: 'jobs' } }] },
  });
  registry = Registry.fromConnectionString(hub.connectionString());
  jobs = JobClient.fromConnectionString(hub.connectionString());
  for (const deviceId of Object.keys(PING_STATUS)) {
    const client = DeviceClient.fromConnectionString(hub.deviceConnectionString(deviceId), Mqtt);
    await client.open();
    clients.set(deviceId, client);
    client.onDeviceMethod('ping', (request, response) => {
      pings.push({ deviceId, receivedAt: Date.now(), payload: request.payload });
      response.send(PING_STATUS[deviceId] as number, { deviceId, echo: request.payload }, () => {});
    });
    // A job calls each device once, without a connect timeout: wait until the device listens for methods.
    await waitFor(() => (hub.subscriptions(deviceId).some((topic) => topic.startsWith('$iothub/methods/POST/')) ? true : undefined), 10_000, `${deviceId} to subscribe to methods`);
  }
});
afterAll(async () => {
  for (const client of clients.values()) await client.close();
  await hub?.dispose();
});

async function getJob(jobId: string): Promise<JobResponse> {
  return (await jobs.getJob(jobId)).jobStatus as JobResponse;
}

/** Polls getJob (with a deadline) until the job is completed, and answers it. */
async function completed(jobId: string): Promise<JobResponse> {
  await expect.poll(async () => (await getJob(jobId)).status, { timeout: 30_000 }).toBe('completed');
  return getJob(jobId);
}

/** Every page of a JobClient query, following the continuation token while hasMoreResults says so. */
async function allPages(query: ReturnType<JobClient['createQuery']>): Promise<JobResponse[][]> {
  const pages: JobResponse[][] = [];
  do {
    const { result } = await query.next(query.continuationToken);
    pages.push(result as JobResponse[]);
    expect(query.hasMoreResults).toBe(query.continuationToken !== undefined);
    if (pages.length > 50) throw new Error('the job query does not end');
  } while (query.hasMoreResults);
  return pages;
}

async function deviceJobRows(jobId: string): Promise<DeviceJobRow[]> {
  const { result } = await registry.createQuery(`SELECT * FROM devices.jobs WHERE devices.jobs.jobId = '${jobId}'`).next();
  return (result as DeviceJobRow[]).sort((a, b) => a.deviceId.localeCompare(b.deviceId));
}

describe("Microsoft's azure-iothub JobClient against hubemu", () => {
  it('cancels a job scheduled for later with cancelJob: cancelled, and it never touches a device', async () => {
    const startTime = new Date(Date.now() + 3_600_000);
    const { jobStatus: scheduled } = await jobs.scheduleTwinUpdate('later-cancel', GROUP, { etag: '*', tags: { maintenance: 'tonight' } }, startTime);
    // As on IoT Hub (Microsoft's own SDK e2e tests expect it), a job waiting for its start time answers queued.
    expect(scheduled).toMatchObject({ jobId: 'later-cancel', type: 'scheduleUpdateTwin', status: 'queued' });
    expect(Date.parse((scheduled as JobResponse).startTime)).toBe(startTime.getTime());

    const { jobStatus: cancelled } = await jobs.cancelJob('later-cancel');
    expect(cancelled).toMatchObject({ jobId: 'later-cancel', status: 'cancelled', endTime: expect.any(String) });
    expect(await getJob('later-cancel')).toMatchObject({ status: 'cancelled', deviceJobStatistics: { deviceCount: 0, succeededCount: 0, failedCount: 0 } });
    // Cancelling a finished job answers it unchanged.
    expect((await jobs.cancelJob('later-cancel')).jobStatus).toMatchObject({ status: 'cancelled', endTime: (cancelled as JobResponse).endTime });

    expect(await deviceJobRows('later-cancel')).toEqual([]);
    for (const deviceId of DEVICES) expect((await registry.getTwin(deviceId)).responseBody.tags).not.toHaveProperty('maintenance');
    const unknown = await rejection(jobs.getJob('no-such-job'));
    expect(unknown.response?.statusCode).toBe(404);
  });

  it('runs a method job scheduled a moment ahead once it is due, not before', async () => {
    // Far enough ahead that a slow machine still creates the job before it is due.
    const startTime = new Date(Date.now() + 5_000);
    const { jobStatus } = await jobs.scheduleDeviceMethod('later-ping', "deviceId IN ['job-dev-1', 'job-dev-2']", { methodName: 'ping', payload: { run: 'later' }, responseTimeoutInSeconds: 10 }, startTime);
    expect(jobStatus).toMatchObject({ jobId: 'later-ping', type: 'scheduleDeviceMethod', status: 'queued' });
    expect(Date.parse((jobStatus as JobResponse).startTime)).toBe(startTime.getTime());

    // Poll getJob with a deadline, noting each status and whether it was answered before the start time.
    const answers: Array<{ status: string; beforeStart: boolean }> = [];
    await expect
      .poll(
        async () => {
          const { status } = await getJob('later-ping');
          answers.push({ status, beforeStart: Date.now() < startTime.getTime() });
          return status;
        },
        { timeout: 30_000 },
      )
      .toBe('completed');
    // An answer that came back before the start time cannot have seen the job start.
    expect(answers.filter((a) => a.beforeStart).map((a) => a.status)).toEqual(answers.filter((a) => a.beforeStart).map(() => 'queued'));
    // And the statuses went forward through the lifecycle only.
    const order = ['queued', 'running', 'completed'];
    const seen = answers.map((a) => a.status);
    expect(seen.every((status) => order.includes(status))).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => order.indexOf(a) - order.indexOf(b)));

    const done = await getJob('later-ping');
    expect(done.deviceJobStatistics).toEqual({ deviceCount: 2, succeededCount: 2, failedCount: 0, runningCount: 0, pendingCount: 0 });
    const calls = pings.filter((p) => (p.payload as { run?: string } | null)?.run === 'later');
    expect(calls.map((c) => c.deviceId).sort()).toEqual(['job-dev-1', 'job-dev-2']);
    for (const call of calls) expect(call.receivedAt).toBeGreaterThanOrEqual(startTime.getTime());
  });

  it("shows each device's row of a method job with its outcome through Registry.createQuery on devices.jobs", async () => {
    await jobs.scheduleDeviceMethod('ping-rows', GROUP, { methodName: 'ping', payload: { run: 'rows' }, responseTimeoutInSeconds: 10 });
    const job = await completed('ping-rows');
    // A device that answered counts as succeeded whatever status it answered; the offline one failed.
    expect(job.deviceJobStatistics).toEqual({ deviceCount: 3, succeededCount: 2, failedCount: 1, runningCount: 0, pendingCount: 0 });

    const rows = await deviceJobRows('ping-rows');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({
      deviceId: 'job-dev-1',
      jobId: 'ping-rows',
      jobType: 'scheduleDeviceMethod',
      status: 'completed',
      outcome: { deviceMethodResponse: { status: 200, payload: { deviceId: 'job-dev-1', echo: { run: 'rows' } } } },
    });
    expect(rows[1]).toMatchObject({
      deviceId: 'job-dev-2',
      status: 'completed',
      outcome: { deviceMethodResponse: { status: 503, payload: { deviceId: 'job-dev-2', echo: { run: 'rows' } } } },
    });
    expect(rows[2]).toMatchObject({ deviceId: 'job-dev-3', status: 'failed', outcome: null, error: { code: 'DeviceNotOnline' } });
    expect(rows[0]).not.toHaveProperty('error');
    expect(rows[1]).not.toHaveProperty('error');

    // The same rows, two to a page.
    const query = registry.createQuery("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'ping-rows'", 2);
    const first = await query.next();
    expect(first.result).toHaveLength(2);
    expect(query.hasMoreResults).toBe(true);
    const second = await query.next(query.continuationToken);
    expect(second.result).toHaveLength(1);
    expect(query.hasMoreResults).toBe(false);
    expect([...first.result, ...second.result].map((r: DeviceJobRow) => r.deviceId).sort()).toEqual(DEVICES);
  });

  it('pages through more jobs than one page with createQuery, filtered by jobType and jobStatus', async () => {
    const twinJobs = ['page-twin-1', 'page-twin-2', 'page-twin-3', 'page-twin-4', 'page-twin-5'];
    for (const [i, jobId] of twinJobs.entries()) {
      await jobs.scheduleTwinUpdate(jobId, GROUP, { etag: '*', tags: { pageRun: i + 1 } });
      await completed(jobId);
    }
    await jobs.scheduleDeviceMethod('page-method', "deviceId = 'job-dev-1'", { methodName: 'ping', payload: { run: 'page' }, responseTimeoutInSeconds: 10 });
    await completed('page-method');
    const later = new Date(Date.now() + 3_600_000);
    await jobs.scheduleTwinUpdate('page-later-1', GROUP, { etag: '*', tags: { late: 1 } }, later);
    await jobs.scheduleTwinUpdate('page-later-2', GROUP, { etag: '*', tags: { late: 2 } }, later);

    // Everything, in one default page (up to 100), to check the filtered pages against.
    const everything = jobs.createQuery();
    const { result: all } = await everything.next();
    expect(everything.hasMoreResults).toBe(false);
    const ids = (all as JobResponse[]).map((j) => j.jobId);
    expect(ids).toEqual(expect.arrayContaining([...twinJobs, 'page-method', 'page-later-1', 'page-later-2', 'later-cancel', 'ping-rows']));
    const expected = (type: string, status: string): string[] => (all as JobResponse[]).filter((j) => j.type === type && j.status === status).map((j) => j.jobId);

    // The SDK's JobStatus typings name 'finished' where the service answers 'completed'.
    const pages = await allPages(jobs.createQuery('scheduleUpdateTwin', 'completed' as never, 2));
    const pagedIds = pages.flat().map((j) => j.jobId);
    expect(pages.length).toBeGreaterThan(2);
    expect(pages.slice(0, -1).every((page) => page.length === 2)).toBe(true);
    expect(pages[pages.length - 1]?.length).toBeGreaterThanOrEqual(1);
    expect(pages.flat().every((j) => j.type === 'scheduleUpdateTwin' && j.status === 'completed')).toBe(true);
    expect(new Set(pagedIds).size).toBe(pagedIds.length);
    expect(pagedIds).toEqual(expected('scheduleUpdateTwin', 'completed'));
    expect(pagedIds.filter((id) => id.startsWith('page-twin-'))).toEqual(twinJobs);
    expect(pagedIds).not.toContain('page-method');
    expect(pagedIds).not.toContain('page-later-1');

    const waiting = (await allPages(jobs.createQuery('scheduleUpdateTwin', 'queued', 1))).flat().map((j) => j.jobId);
    expect(waiting).toEqual(['page-later-1', 'page-later-2']);
    expect(waiting).toEqual(expected('scheduleUpdateTwin', 'queued'));

    const methods = (await allPages(jobs.createQuery('scheduleDeviceMethod', undefined, 1))).flat();
    expect(methods.map((j) => j.jobId)).toEqual((all as JobResponse[]).filter((j) => j.type === 'scheduleDeviceMethod').map((j) => j.jobId));
    expect(methods.map((j) => j.jobId)).toEqual(expect.arrayContaining(['later-ping', 'ping-rows', 'page-method']));

    const cancelled = (await allPages(jobs.createQuery(undefined, 'cancelled', 1))).flat().map((j) => j.jobId);
    expect(cancelled).toEqual(expected('scheduleUpdateTwin', 'cancelled'));
    expect(cancelled).toContain('later-cancel');

    await jobs.cancelJob('page-later-1');
    await jobs.cancelJob('page-later-2');
  });
});

describe("Microsoft's azure-iothub Registry configuration calls against hubemu", () => {
  function configuration(id: string, priority: number, desired: Record<string, unknown>, targetCondition: string): Configuration {
    return { id, schemaVersion: '1.0', labels: { owner: 'e2e' }, content: { deviceContent: desired }, targetCondition, priority };
  }

  it('updates a configuration with the etag it read; a stale etag is InvalidEtagError (412) and changes nothing; forceUpdate overrides', async () => {
    await registry.addConfiguration(configuration('cfg-etag', 1, { 'properties.desired.etagTest': { v: 1 } }, "tags.fleet = 'nobody'"));
    const { responseBody: read } = await registry.getConfiguration('cfg-etag');
    expect(read.etag).toEqual(expect.any(String));

    const { responseBody: updated, httpResponse } = await registry.updateConfiguration({ ...read, priority: 5, labels: { owner: 'e2e', stage: 'two' } });
    expect(httpResponse.statusCode).toBe(200);
    expect(updated).toMatchObject({ id: 'cfg-etag', priority: 5, labels: { owner: 'e2e', stage: 'two' }, content: { deviceContent: { 'properties.desired.etagTest': { v: 1 } } } });
    expect(updated.etag).not.toBe(read.etag);

    // The configuration as first read carries the old etag.
    const stale = await rejection(registry.updateConfiguration({ ...read, priority: 9 }));
    expect(stale.constructor.name).toBe('InvalidEtagError');
    expect(stale.response?.statusCode).toBe(412);
    const { responseBody: unchanged } = await registry.getConfiguration('cfg-etag');
    expect(unchanged).toMatchObject({ priority: 5, labels: { owner: 'e2e', stage: 'two' }, etag: updated.etag });

    // forceUpdate sends If-Match: "*", so the stale object goes through.
    const { responseBody: forced } = await registry.updateConfiguration({ ...read, priority: 9 }, true);
    expect(forced).toMatchObject({ id: 'cfg-etag', priority: 9, labels: { owner: 'e2e' } });
    expect(forced.etag).not.toBe(updated.etag);
    expect((await registry.getConfiguration('cfg-etag')).responseBody).toMatchObject({ priority: 9, etag: forced.etag });
  });

  it('lists configurations with getConfigurations, oldest first, as getConfiguration shows each', async () => {
    await registry.addConfiguration(configuration('cfg-list-a', 3, { 'properties.desired.listA': 1 }, "tags.fleet = 'nobody'"));
    await registry.addConfiguration(configuration('cfg-list-b', 4, { 'properties.desired.listB': 2 }, "tags.fleet = 'nobody'"));
    const { responseBody: list } = await registry.getConfigurations();
    const ids = list.map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining(['cfg-etag', 'cfg-list-a', 'cfg-list-b']));
    expect(ids.indexOf('cfg-etag')).toBeLessThan(ids.indexOf('cfg-list-a'));
    expect(ids.indexOf('cfg-list-a')).toBeLessThan(ids.indexOf('cfg-list-b'));
    for (const id of ['cfg-list-a', 'cfg-list-b']) {
      const { responseBody: one } = await registry.getConfiguration(id);
      expect(list.find((c) => c.id === id)).toMatchObject({ id, etag: one.etag, priority: one.priority, targetCondition: one.targetCondition, content: one.content, labels: one.labels });
    }
  });

  it("removeConfiguration takes its content off the targeted twins, leaving what it did not set, and the device gets the removal", async () => {
    await registry.updateTwin('job-dev-1', { properties: { desired: { manual: 'kept' } } }, '*');
    const client = clients.get('job-dev-1') as DeviceClient;
    const deviceTwin = await client.getTwin();
    const removalDelivered = new Promise<Record<string, unknown>>((resolve) => {
      deviceTwin.on('properties.desired', (delta: Record<string, unknown>) => {
        if ('removeMe' in delta && delta.removeMe === null) resolve(delta);
      });
    });

    await registry.addConfiguration(configuration('cfg-remove', 2, { 'properties.desired.removeMe': { level: 3 } }, GROUP));
    const applied = async (): Promise<boolean> => {
      for (const deviceId of DEVICES) {
        const { responseBody: twin } = await registry.getTwin(deviceId);
        const statuses = (twin as unknown as { configurations?: Record<string, { status: string }> }).configurations;
        if (JSON.stringify(twin.properties.desired.removeMe) !== JSON.stringify({ level: 3 }) || statuses?.['cfg-remove']?.status !== 'Applied') return false;
      }
      return true;
    };
    await expect.poll(applied, { timeout: 30_000 }).toBe(true);

    const { httpResponse } = await registry.removeConfiguration('cfg-remove');
    expect(httpResponse.statusCode).toBe(204);
    const gone = await rejection(registry.getConfiguration('cfg-remove'));
    expect(gone.response?.statusCode).toBe(404);
    expect(gone.responseBody).toContain('ConfigurationNotFound');
    expect((await registry.getConfigurations()).responseBody.map((c) => c.id)).not.toContain('cfg-remove');

    const removed = async (): Promise<boolean> => {
      for (const deviceId of DEVICES) {
        const { responseBody: twin } = await registry.getTwin(deviceId);
        if ('removeMe' in twin.properties.desired) return false;
      }
      return true;
    };
    await expect.poll(removed, { timeout: 30_000 }).toBe(true);
    for (const deviceId of DEVICES) {
      const { responseBody: twin } = await registry.getTwin(deviceId);
      expect((twin as unknown as { configurations?: Record<string, unknown> }).configurations ?? {}).not.toHaveProperty('cfg-remove');
    }
    expect((await registry.getTwin('job-dev-1')).responseBody.properties.desired.manual).toBe('kept');
    expect(await removalDelivered).toMatchObject({ removeMe: null });
    expect(deviceTwin.properties.desired).not.toHaveProperty('removeMe');
    expect(deviceTwin.properties.desired.manual).toBe('kept');
  });
});
