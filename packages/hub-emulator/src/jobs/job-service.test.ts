import { afterEach, describe, expect, it, vi } from 'vitest';
import { HubError, systemClock, systemHubClock, type DeviceJobRecord, type JsonObject, type TwinWrite } from '@hubemu/shared';
import { compileCondition, parseCondition } from '../query/index.js';
import { MemoryStore } from '../store/memory-store.js';
import { parseJobRequest } from './job-request.js';
import { JobRepository } from './job-repository.js';
import type { StoredJob } from './job-schemas.js';
import { JobService, type JobServiceOptions } from './job-service.js';
import { hubErrorOf } from '../../../shared/src/hub-error.fixtures.js';

type Behaviour = 'answer' | 'offline' | 'hang';

interface Fleet {
  service: JobService;
  store: MemoryStore;
  writes: Array<{ deviceId: string; write: TwinWrite; ifMatch: string | undefined }>;
  calls: string[];
  /** Answers every method call that is hanging. */
  release(): void;
  restart(options?: JobServiceOptions): JobService;
}

function fleet(devices: Record<string, { tags?: JsonObject; behaviour?: Behaviour }>, options: JobServiceOptions = {}, store = new MemoryStore()): Fleet {
  const writes: Fleet['writes'] = [];
  const calls: string[] = [];
  const hanging: Array<() => void> = [];
  const twins = Object.entries(devices).map(([deviceId, d]) => ({ deviceId, tags: d.tags ?? {}, properties: { desired: {}, reported: {} } }));
  const make = (opts: JobServiceOptions): JobService =>
    new JobService({
      repository: new JobRepository(store.collection<StoredJob>('jobs'), store.collection<DeviceJobRecord>('deviceJobs')),
      targets: { catchUp: () => Promise.resolve(), matchDevices: (condition) => twins.filter(compileCondition(parseCondition(condition))) },
      twins: {
        write: (deviceId, _moduleId, write, writeOptions) => {
          if (!(deviceId in devices)) throw new HubError('DeviceNotFound', deviceId);
          writes.push({ deviceId, write, ifMatch: writeOptions.ifMatch });
        },
      },
      methods: {
        invoke: (deviceId, _moduleId, body) => {
          calls.push(deviceId);
          const behaviour = devices[deviceId]?.behaviour ?? 'answer';
          if (behaviour === 'offline') return Promise.reject(new HubError('DeviceNotOnline', 'Timed out waiting for device to connect.'));
          const answer = { status: 200, payload: { echo: (body as { payload: unknown }).payload, deviceId } };
          if (behaviour === 'hang') return new Promise((resolve) => hanging.push(() => resolve(answer)));
          return Promise.resolve(answer);
        },
      },
      clock: systemHubClock(systemClock),
      options: opts,
    });
  const service = make(options);
  return {
    service,
    store,
    writes,
    calls,
    release: () => {
      for (const answer of hanging.splice(0)) answer();
    },
    restart: (opts = options) => make(opts),
  };
}

/** The service behind its edge: the body parsed as the REST route and embedded callers parse it. */
const createJob = (service: JobService, jobId: string, body: unknown) => service.create(jobId, parseJobRequest(body));

const rowsOf = (service: JobService, jobId: string): DeviceJobRecord[] =>
  [...service.deviceJobRecords()].filter((r) => r.jobId === jobId).sort((a, b) => a.deviceId.localeCompare(b.deviceId));

const twinJob = (condition: string, extra: Record<string, unknown> = {}) => ({
  type: 'scheduleUpdateTwin',
  queryCondition: condition,
  updateTwin: { properties: { desired: { fw: '2.0' } }, tags: { updated: true }, etag: '*' },
  startTime: null,
  ...extra,
});

const methodJob = (condition: string, extra: Record<string, unknown> = {}) => ({
  type: 'scheduleDeviceMethod',
  queryCondition: condition,
  cloudToDeviceMethod: { methodName: 'reboot', payload: { delay: 1 }, responseTimeoutInSeconds: 30 },
  startTime: null,
  ...extra,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('twin update jobs', () => {
  it('answers queued, then updates every matching device through the twin service and completes', async () => {
    const { service, writes } = fleet({ a: { tags: { floor: 3 } }, b: { tags: { floor: 3 } }, c: { tags: { floor: 4 } } });
    const created = createJob(service, 'job-1', twinJob('tags.floor = 3'));
    expect(created).toMatchObject({ jobId: 'job-1', type: 'scheduleUpdateTwin', status: 'queued', maxExecutionTimeInSeconds: 3600 });
    const done = await service.whenFinished('job-1');
    expect(done.status).toBe('completed');
    expect(done.deviceJobStatistics).toEqual({ deviceCount: 2, succeededCount: 2, failedCount: 0, runningCount: 0, pendingCount: 0 });
    expect(done.endTime).toEqual(expect.any(String));
    expect(writes.map((w) => w.deviceId)).toEqual(['a', 'b']);
    expect(writes[0]?.write).toEqual({ tags: { patch: { updated: true } }, desired: { patch: { fw: '2.0' } } });
    expect(rowsOf(service, 'job-1').map((r) => [r.deviceId, r.status, r.jobType, r.outcome])).toEqual([
      ['a', 'completed', 'scheduleUpdateTwin', { deviceMethodResponse: null }],
      ['b', 'completed', 'scheduleUpdateTwin', { deviceMethodResponse: null }],
    ]);
  });

  it('writes with the etag the patch carries, unless it is *', async () => {
    const { service, writes } = fleet({ a: {} });
    createJob(service, 'etag-job', twinJob('*', { updateTwin: { properties: { desired: { x: 1 } }, etag: 'AAAAAAAAAAE=' } }));
    await service.whenFinished('etag-job');
    expect(writes[0]?.ifMatch).toBe('AAAAAAAAAAE=');
  });

  it('completes at once with no devices when nothing matches', async () => {
    const { service } = fleet({ a: { tags: { floor: 1 } } });
    createJob(service, 'empty', twinJob('tags.floor = 99'));
    expect((await service.whenFinished('empty')).deviceJobStatistics?.deviceCount).toBe(0);
  });
});

describe('device method jobs', () => {
  it('records each answer and fails offline devices with the reason', async () => {
    const { service } = fleet({ on1: {}, on2: {}, off1: { behaviour: 'offline' } });
    createJob(service, 'reboot', methodJob('*'));
    const done = await service.whenFinished('reboot');
    expect(done.status).toBe('completed');
    expect(done.deviceJobStatistics).toEqual({ deviceCount: 3, succeededCount: 2, failedCount: 1, runningCount: 0, pendingCount: 0 });
    const rows = rowsOf(service, 'reboot');
    expect(rows.find((r) => r.deviceId === 'on1')?.outcome).toEqual({ deviceMethodResponse: { status: 200, payload: { echo: { delay: 1 }, deviceId: 'on1' } } });
    expect(rows.find((r) => r.deviceId === 'off1')).toMatchObject({ status: 'failed', error: { code: 'DeviceNotOnline', description: 'Timed out waiting for device to connect.' } });
  });

  it('keeps the method timeouts as given, with the service defaults', () => {
    const { service } = fleet({});
    const job = createJob(service, 'defaults', methodJob('*', { cloudToDeviceMethod: { methodName: 'ping' } }));
    expect(job.cloudToDeviceMethod).toEqual({ methodName: 'ping', payload: null, responseTimeoutInSeconds: 30, connectTimeoutInSeconds: 0 });
  });

  it('cancels mid-run: rows not started are cancelled, calls in flight finish', async () => {
    const devices: Record<string, { behaviour: Behaviour }> = {};
    for (let i = 0; i < 10; i++) devices[`d${i}`] = { behaviour: 'hang' };
    const { service, calls, release } = fleet(devices, { methodParallelism: 3 });
    createJob(service, 'long', methodJob('*'));
    await vi.waitFor(() => expect(calls).toHaveLength(3));
    const cancelled = service.cancel('long');
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.deviceJobStatistics).toMatchObject({ deviceCount: 10, runningCount: 3, pendingCount: 0 });
    expect(rowsOf(service, 'long').filter((r) => r.status === 'cancelled')).toHaveLength(7);
    release();
    await vi.waitFor(() => expect(service.get('long').deviceJobStatistics).toMatchObject({ succeededCount: 3, runningCount: 0 }));
    expect(calls).toHaveLength(3);
    expect(service.get('long').status).toBe('cancelled');
  });

  it('fails what is left once maxExecutionTimeInSeconds has passed, with a clear reason', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { service, calls } = fleet({ a: { behaviour: 'hang' }, b: { behaviour: 'hang' }, c: { behaviour: 'hang' } }, { methodParallelism: 2 });
    createJob(service, 'slow', methodJob('*', { maxExecutionTimeInSeconds: 5 }));
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    await vi.advanceTimersByTimeAsync(5_000);
    const job = await service.whenFinished('slow');
    expect(job.status).toBe('failed');
    expect(job.failureReason).toBe('The job did not finish within maxExecutionTimeInSeconds (5 s); 3 device(s) were not processed.');
    expect(job.deviceJobStatistics).toMatchObject({ deviceCount: 3, failedCount: 3, pendingCount: 0, runningCount: 0 });
    expect(rowsOf(service, 'slow').map((r) => r.error?.code)).toEqual(['JobExpired', 'JobExpired', 'JobExpired']);
  });
});

describe('values refused at creation', () => {
  it('refuses maxExecutionTimeInSeconds beyond 2^31-1 seconds with 400 ArgumentInvalid, so no job can outlive JavaScript time', () => {
    const { service } = fleet({ a: {} });
    for (const value of [1e13, 2 ** 31, 0, -5, 1.5]) {
      const error = hubErrorOf(() => createJob(service, `max-${value}`, twinJob('*', { maxExecutionTimeInSeconds: value })));
      expect(error.errorCode).toBe('ArgumentInvalid');
      expect(error.status).toBe(400);
      expect(error.message).toMatch(/maxExecutionTimeInSeconds/);
    }
    expect(createJob(service, 'max-ok', twinJob('*', { maxExecutionTimeInSeconds: 2 ** 31 - 1 })).maxExecutionTimeInSeconds).toBe(2 ** 31 - 1);
  });

  it('refuses a method job whose payload is over 128 KB with 413 MessageTooLarge, as the direct method call does', () => {
    const { service, calls } = fleet({ a: {} });
    const big = methodJob('*', { cloudToDeviceMethod: { methodName: 'reboot', payload: 'x'.repeat(128 * 1024), responseTimeoutInSeconds: 30 } });
    const error = hubErrorOf(() => createJob(service, 'big', big));
    expect(error.errorCode).toBe('MessageTooLarge');
    expect(error.status).toBe(413);
    expect(error.message).toBe('The method payload is larger than 131072 bytes.');
    expect(hubErrorOf(() => service.get('big')).errorCode).toBe('JobNotFound');
    expect(calls).toHaveLength(0);
  });

  it('keeps only the twin patch a job applies, so unchecked fields of any depth are neither echoed nor stored', () => {
    const { service } = fleet({ a: {} });
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const updateTwin = { deviceId: 'copied', extra: deep, tags: { site: 'x' }, properties: { desired: { fw: '2.0', $metadata: deep, $version: 3 } }, etag: '*' };
    const created = createJob(service, 'copied-twin', { type: 'scheduleUpdateTwin', queryCondition: '*', updateTwin, startTime: null });
    expect(created.updateTwin).toEqual({ tags: { site: 'x' }, properties: { desired: { fw: '2.0' } }, etag: '*' });
    expect(() => JSON.stringify(service.get('copied-twin'))).not.toThrow();
  });

  it('keeps a job whose maxExecutionTimeInSeconds is longer than a timer can wait (24.8 days) running until its own deadline', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const day = 86_400_000;
    const { service, calls } = fleet({ a: { behaviour: 'hang' } });
    createJob(service, 'month', methodJob('*', { maxExecutionTimeInSeconds: 30 * 86_400 }));
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    await vi.advanceTimersByTimeAsync(29 * day);
    expect(service.get('month').status).toBe('running');
    await vi.advanceTimersByTimeAsync(day);
    const job = await service.whenFinished('month');
    expect(job.status).toBe('failed');
    expect(job.failureReason).toMatch(/maxExecutionTimeInSeconds \(2592000 s\)/);
  });
});

describe('scheduling and limits', () => {
  it('keeps a finished job and its device rows for 30 days, then forgets them, as the service keeps job history', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { service } = fleet({ a: {}, b: {} });
    createJob(service, 'old', twinJob('*'));
    expect((await service.whenFinished('old')).status).toBe('completed');
    expect([...service.deviceJobRecords()]).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(29 * 86_400_000);
    createJob(service, 'newer', twinJob('*'));
    await service.whenFinished('newer');
    expect(service.query().items.map((j) => j.jobId)).toEqual(['old', 'newer']);
    await vi.advanceTimersByTimeAsync(2 * 86_400_000);
    expect(service.query().items.map((j) => j.jobId)).toEqual(['newer']);
    expect(() => service.get('old')).toThrow(/old/);
    expect([...service.deviceJobRecords()].map((r) => r.jobId)).toEqual(['newer', 'newer']);
  });

  it('waits for its start time, reported as queued as the service does, then runs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { service, writes } = fleet({ a: {} });
    const start = new Date(Date.now() + 60_000).toISOString();
    expect(createJob(service, 'later', twinJob('*', { startTime: start })).status).toBe('queued');
    await vi.advanceTimersByTimeAsync(59_000);
    expect(service.get('later').status).toBe('queued');
    expect(service.query({ jobStatus: 'queued' }).items.map((j) => j.jobId)).toEqual(['later']);
    expect(service.query({ jobStatus: 'scheduled' }).items).toEqual([]);
    expect(writes).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await service.whenFinished('later')).status).toBe('completed');
    expect(service.get('later').startTime).toBe(start.replace('Z', '0000Z'));
  });

  it('starts a scheduled job whose start time came while the store refused writes once it accepts them again, without throwing from the timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const store = new MemoryStore();
    const { service, writes } = fleet({ a: {} }, {}, store);
    createJob(service, 'later', twinJob('*', { startTime: new Date(Date.now() + 60_000).toISOString() }));
    const jobs = store.collection<StoredJob>('jobs');
    const put = jobs.put.bind(jobs);
    let diskFull = true;
    jobs.put = (key, value, condition) => {
      if (diskFull) throw new HubError('ServiceUnavailable', 'The hub could not store the change (ENOSPC).');
      put(key, value, condition);
    };
    await vi.advanceTimersByTimeAsync(60_000);
    expect(service.get('later').status).toBe('queued'); // still waiting to start: the service reports such a job as queued
    diskFull = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await service.whenFinished('later')).status).toBe('completed');
    expect(writes).toHaveLength(1);
  });

  it('cancels a scheduled job before it starts', async () => {
    const { service, writes } = fleet({ a: {} });
    createJob(service, 'never', twinJob('*', { startTime: new Date(Date.now() + 3_600_000).toISOString() }));
    expect(service.cancel('never').status).toBe('cancelled');
    expect(service.cancel('never').status).toBe('cancelled');
    expect(writes).toHaveLength(0);
  });

  it('refuses a job beyond maxConcurrentJobs with 429 ThrottlingMaxActiveJobCountExceeded', async () => {
    const { service, release, calls } = fleet({ a: { behaviour: 'hang' } }, { maxConcurrentJobs: 1 });
    createJob(service, 'first', methodJob('*'));
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    const error = hubErrorOf(() => createJob(service, 'second', methodJob('*')));
    expect(error.errorCode).toBe('ThrottlingMaxActiveJobCountExceeded');
    expect(error.status).toBe(429);
    release();
    await service.whenFinished('first');
    expect(createJob(service, 'second', methodJob('*')).status).toBe('queued');
  });

  it('paces device operations to deviceOperationsPerSecond', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const devices: Record<string, object> = {};
    for (let i = 0; i < 25; i++) devices[`d${String(i).padStart(2, '0')}`] = {};
    const { service, writes } = fleet(devices, { deviceOperationsPerSecond: 10 });
    createJob(service, 'paced', twinJob('*'));
    await vi.waitFor(() => expect(writes).toHaveLength(10));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(writes.length).toBeGreaterThanOrEqual(19);
    expect(writes.length).toBeLessThanOrEqual(21);
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await service.whenFinished('paced')).deviceJobStatistics?.succeededCount).toBe(25);
  });
});

describe('validation', () => {
  it('refuses a duplicate job id with JobAlreadyExists', () => {
    const { service } = fleet({});
    createJob(service, 'dup', twinJob('*'));
    expect(hubErrorOf(() => createJob(service, 'dup', twinJob('*'))).errorCode).toBe('JobAlreadyExists');
  });

  it("refuses a bad queryCondition with the parser's message", () => {
    const { service } = fleet({});
    const error = hubErrorOf(() => createJob(service, 'bad', twinJob("tags.floor = '3")));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/position/);
  });

  it('refuses a job without its operation, a reported patch, and a body id that differs from the URL', () => {
    const { service } = fleet({});
    expect(hubErrorOf(() => createJob(service, 'm', { type: 'scheduleDeviceMethod', queryCondition: '*' })).message).toMatch(/cloudToDeviceMethod/);
    expect(hubErrorOf(() => createJob(service, 'r', twinJob('*', { updateTwin: { properties: { reported: { x: 1 } } } }))).message).toMatch(/reported/);
    expect(hubErrorOf(() => createJob(service, 'x', twinJob('*', { jobId: 'y' }))).message).toMatch(/does not match/);
    expect(hubErrorOf(() => createJob(service, 't', { ...twinJob('*'), type: 'export' })).errorCode).toBe('ArgumentInvalid');
  });

  it('answers JobNotFound for an unknown job', () => {
    const { service } = fleet({});
    expect(hubErrorOf(() => service.get('nope')).errorCode).toBe('JobNotFound');
    expect(hubErrorOf(() => service.cancel('nope')).errorCode).toBe('JobNotFound');
  });
});

describe('listing jobs', () => {
  it('pages jobs in creation order with a continuation only while more remain, filtered by type and status', async () => {
    const { service } = fleet({ a: {} });
    for (let i = 0; i < 5; i++) createJob(service, `j${i}`, i % 2 === 0 ? twinJob('*') : methodJob('*'));
    const first = service.query({ pageSize: 2 });
    expect(first.items.map((j) => j.jobId)).toEqual(['j0', 'j1']);
    const second = service.query({ pageSize: 2, continuation: first.continuation });
    const third = service.query({ pageSize: 2, continuation: second.continuation });
    expect([...second.items, ...third.items].map((j) => j.jobId)).toEqual(['j2', 'j3', 'j4']);
    expect(third.continuation).toBeUndefined();
    expect(service.query({ jobType: 'scheduleDeviceMethod' }).items.map((j) => j.jobId)).toEqual(['j1', 'j3']);
    await Promise.all(['j0', 'j1', 'j2', 'j3', 'j4'].map((id) => service.whenFinished(id)));
    expect(service.query({ jobStatus: 'completed' }).items).toHaveLength(5);
    expect(service.query({ jobStatus: 'running' }).items).toHaveLength(0);
  });

  it('refuses a continuation token it did not issue', () => {
    const { service } = fleet({});
    expect(hubErrorOf(() => service.query({ continuation: 'bm9wZQ' })).errorCode).toBe('ArgumentInvalid');
  });
});

describe('restarts', () => {
  it('fails a job that was running when the hub stopped, and keeps scheduled jobs', async () => {
    const devices: Record<string, { behaviour: Behaviour }> = { a: { behaviour: 'answer' }, b: { behaviour: 'hang' }, c: { behaviour: 'hang' } };
    const { service, restart, calls } = fleet(devices, { methodParallelism: 2 });
    createJob(service, 'running', methodJob('*'));
    createJob(service, 'tomorrow', twinJob('*', { startTime: new Date(Date.now() + 86_400_000).toISOString() }));
    await vi.waitFor(() => expect(calls).toEqual(['a', 'b', 'c']));
    service.stop();

    const again = restart();
    const job = again.get('running');
    expect(job.status).toBe('failed');
    expect(job.failureReason).toMatch(/hub stopped while the job was running/);
    expect(job.deviceJobStatistics).toEqual({ deviceCount: 3, succeededCount: 1, failedCount: 2, runningCount: 0, pendingCount: 0 });
    expect(rowsOf(again, 'running').map((r) => [r.deviceId, r.status, r.error?.code])).toEqual([
      ['a', 'completed', undefined],
      ['b', 'failed', 'JobInterrupted'],
      ['c', 'failed', 'JobInterrupted'],
    ]);
    expect(again.get('tomorrow')).toMatchObject({ status: 'queued', deviceJobStatistics: { deviceCount: 0 } });
    again.stop();
  });
});
