import { afterEach, describe, expect, it } from 'vitest';
import { fakeService, serviceError, type FakeAnswer, type FakeService } from '../test/fake-service.js';
import { JobsApi } from './jobs-api.js';
import { ServiceError } from './service-error.js';

let service: FakeService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

const stats = (done: number, of: number) => ({ deviceCount: of, failedCount: 0, succeededCount: done, runningCount: 0, pendingCount: of - done });
const job = (jobId: string, status: string, extra: Record<string, unknown> = {}) => ({ jobId, type: 'scheduleUpdateTwin', status, deviceJobStatistics: stats(0, 0), ...extra });

async function jobsApi(handler: Parameters<typeof fakeService>[0]): Promise<{ jobs: JobsApi; service: FakeService }> {
  service = await fakeService(handler);
  return { jobs: new JobsApi(service.client), service };
}

describe('JobsApi', () => {
  it('schedules a twin update with the body Microsoft’s JobClient sends: etag *, startTime null, 3600 s', async () => {
    const { jobs, service } = await jobsApi((req) => ({ json: { ...job('set-floor', 'queued'), echo: req.body } }));
    const created = await jobs.scheduleTwinUpdate('set-floor', { queryCondition: "tags.building = '43'", twinPatch: { properties: { desired: { targetTemperature: 21 } } } });
    expect(created).toMatchObject({ jobId: 'set-floor', status: 'queued' });
    const [put] = service.seen;
    expect(put).toMatchObject({ method: 'PUT', url: '/jobs/v2/set-floor?api-version=2021-04-12' });
    expect(put?.body).toEqual({
      jobId: 'set-floor',
      type: 'scheduleUpdateTwin',
      updateTwin: { properties: { desired: { targetTemperature: 21 } }, etag: '*' },
      queryCondition: "tags.building = '43'",
      startTime: null,
      maxExecutionTimeInSeconds: 3600,
    });
    expect(Object.keys(put?.body as object)).toEqual(['jobId', 'type', 'updateTwin', 'queryCondition', 'startTime', 'maxExecutionTimeInSeconds']);
  });

  it('schedules a direct method with the default timeouts and a null payload, at the start time given', async () => {
    const { jobs, service } = await jobsApi(() => ({ json: job('reboot 43', 'scheduled', { type: 'scheduleDeviceMethod' }) }));
    const start = new Date('2030-01-02T03:04:05.000Z');
    await jobs.scheduleDeviceMethod('reboot 43', { queryCondition: '*', method: { methodName: 'reboot' }, startTime: start, maxExecutionTimeInSeconds: 60 });
    const [put] = service.seen;
    expect(put?.url).toBe('/jobs/v2/reboot%2043?api-version=2021-04-12');
    expect(put?.body).toEqual({
      jobId: 'reboot 43',
      type: 'scheduleDeviceMethod',
      cloudToDeviceMethod: { methodName: 'reboot', payload: null, responseTimeoutInSeconds: 30, connectTimeoutInSeconds: 0 },
      queryCondition: '*',
      startTime: '2030-01-02T03:04:05.000Z',
      maxExecutionTimeInSeconds: 60,
    });
  });

  it('keeps an etag given in the twin patch and the method timeouts and payload given', async () => {
    const { jobs, service } = await jobsApi(() => ({ json: job('j', 'queued') }));
    await jobs.scheduleTwinUpdate('j', { queryCondition: '*', twinPatch: { tags: { a: 1 }, etag: 'AAAAAAAAAAE=' }, startTime: '2030-01-01T00:00:00Z' });
    await jobs.scheduleDeviceMethod('k', { queryCondition: '*', method: { methodName: 'm', payload: { x: 1 }, responseTimeoutInSeconds: 5, connectTimeoutInSeconds: 10 } });
    expect(service.seen[0]?.body).toMatchObject({ updateTwin: { tags: { a: 1 }, etag: 'AAAAAAAAAAE=' }, startTime: '2030-01-01T00:00:00Z' });
    expect(service.seen[1]?.body).toMatchObject({ cloudToDeviceMethod: { methodName: 'm', payload: { x: 1 }, responseTimeoutInSeconds: 5, connectTimeoutInSeconds: 10 } });
  });

  it('gets and cancels a job, and raises the hub’s JobNotFound as a ServiceError', async () => {
    const { jobs, service } = await jobsApi((req) => {
      if (req.url.startsWith('/jobs/v2/gone')) return serviceError(404, 'JobNotFound', "The job 'gone' does not exist.");
      return { json: job('j1', req.method === 'POST' ? 'cancelled' : 'running') };
    });
    expect((await jobs.get('j1')).status).toBe('running');
    expect((await jobs.cancel('j1')).status).toBe('cancelled');
    expect(service.seen.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /jobs/v2/j1?api-version=2021-04-12', 'POST /jobs/v2/j1/cancel?api-version=2021-04-12']);
    const error = await jobs.get('gone').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({ status: 404, errorCode: 'JobNotFound', code: 404002, message: "The job 'gone' does not exist." });
  });

  it('refuses an answer that is not a JobResponse with ServiceError InvalidResponse', async () => {
    const { jobs } = await jobsApi(() => ({ json: { hello: 'world' } }));
    await expect(jobs.get('j')).rejects.toMatchObject({ errorCode: 'InvalidResponse' });
  });

  it('pages through /jobs/v2/query with the filters, the page size and x-ms-continuation', async () => {
    const { jobs, service } = await jobsApi((req): FakeAnswer => {
      const token = req.headers['x-ms-continuation'];
      if (token === undefined) return { headers: { 'x-ms-continuation': 'p2', 'x-ms-item-type': 'jobResponse' }, json: [job('a', 'completed'), job('b', 'completed')] };
      return { headers: { 'x-ms-item-type': 'jobResponse' }, json: [job('c', 'completed')] };
    });
    const pages = [];
    for await (const page of jobs.pages({ jobType: 'scheduleUpdateTwin', jobStatus: 'completed', pageSize: 2 })) pages.push(page);
    expect(pages.map((p) => p.items.map((j) => j.jobId))).toEqual([['a', 'b'], ['c']]);
    expect(pages[0]?.itemType).toBe('jobResponse');
    expect(service.seen[0]?.url).toBe('/jobs/v2/query?api-version=2021-04-12&jobType=scheduleUpdateTwin&jobStatus=completed');
    expect(service.seen.map((r) => [r.headers['x-ms-continuation'], r.headers['x-ms-max-item-count']])).toEqual([
      [undefined, '2'],
      ['p2', '2'],
    ]);
  });

  it('lists every job, or stops asking for pages once it has top', async () => {
    const { jobs, service } = await jobsApi((req) =>
      req.headers['x-ms-continuation'] === undefined ? { headers: { 'x-ms-continuation': 'next' }, json: [job('a', 'queued'), job('b', 'queued')] } : { json: [job('c', 'queued')] },
    );
    expect((await jobs.list()).map((j) => j.jobId)).toEqual(['a', 'b', 'c']);
    expect(service.seen).toHaveLength(2);
    expect((await jobs.list({ top: 2 })).map((j) => j.jobId)).toEqual(['a', 'b']);
    expect(service.seen).toHaveLength(3);
    expect(service.seen[2]?.headers['x-ms-max-item-count']).toBe('2');
  });

  it('waits until the job reaches a final status, reporting each unfinished read', async () => {
    let reads = 0;
    const { jobs } = await jobsApi(() => {
      reads += 1;
      return { json: job('w', reads < 3 ? 'running' : 'completed', { deviceJobStatistics: stats(reads < 3 ? reads : 3, 3) }) };
    });
    const seen: string[] = [];
    const finished = await jobs.waitUntilFinished('w', { timeoutMs: 10_000, pollIntervalMs: 20, onPoll: (j) => seen.push(j.status) });
    expect(finished).toMatchObject({ status: 'completed', deviceJobStatistics: { succeededCount: 3 } });
    expect(seen).toEqual(['running', 'running']);
  });

  it('resolves at once with a cancelled or failed job', async () => {
    const { jobs, service } = await jobsApi(() => ({ json: job('x', 'failed', { failureReason: 'out of time' }) }));
    expect(await jobs.waitUntilFinished('x')).toMatchObject({ status: 'failed', failureReason: 'out of time' });
    expect(service.seen).toHaveLength(1);
  });

  it('gives up at the deadline with ServiceError JobWaitTimeout saying where the job was', async () => {
    const { jobs } = await jobsApi(() => ({ json: job('slow', 'running', { deviceJobStatistics: stats(1, 4) }) }));
    const error = await jobs.waitUntilFinished('slow', { timeoutMs: 150, pollIntervalMs: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({ status: 0, errorCode: 'JobWaitTimeout', message: "The job 'slow' did not finish within 150 ms (status running, 1 of 4 device(s) done)." });
    expect(JSON.parse((error as ServiceError).body)).toMatchObject({ jobId: 'slow', status: 'running' });
  });
});
