import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client as DeviceClient } from 'azure-iot-device';
import { JobClient, Registry } from 'azure-iothub';
import { startHub, type Hub } from '../../src/index.js';
import { routeAzureIotHubSdkTo } from '../../src/azure-iothub-route.js';
import { answerMethod, openDevice } from '../rest-api/device-helpers.js';

let hub: Hub;
let unroute: () => void;
let jobs: JobClient;
let registry: Registry;
const clients: DeviceClient[] = [];

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, configurationIntervalMs: 50 });
  unroute = routeAzureIotHubSdkTo(hub);
  jobs = JobClient.fromConnectionString(hub.connectionString());
  registry = Registry.fromConnectionString(hub.connectionString());
  for (const id of ['sdk-1', 'sdk-2', 'sdk-off']) hub.createDevice(id, { tags: { building: '43' } });
  for (const id of ['sdk-1', 'sdk-2']) {
    const client = (await openDevice(hub, id)) as DeviceClient;
    answerMethod(client, 'reboot', (payload) => ({ status: 200, payload: { rebooted: id, payload } }));
    clients.push(client);
  }
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await hub.stop();
  unroute();
});

async function statusOf(jobId: string): Promise<string> {
  const { jobStatus } = await jobs.getJob(jobId);
  return (jobStatus as { status: string }).status;
}

describe("Microsoft's azure-iothub JobClient against hubemu", () => {
  it('schedules a twin update that reaches the connected device as a desired patch', async () => {
    const twin = await clients[0]!.getTwin();
    const patches: Array<Record<string, unknown>> = [];
    twin.on('properties.desired', (delta: Record<string, unknown>) => patches.push(delta));

    const { jobStatus } = await jobs.scheduleTwinUpdate('sdk-twin', "tags.building = '43'", { etag: '*', properties: { desired: { floor: 3 } } });
    expect(jobStatus).toMatchObject({ jobId: 'sdk-twin', type: 'scheduleUpdateTwin', status: 'queued' });
    await expect.poll(() => statusOf('sdk-twin'), { timeout: 10_000 }).toBe('completed');
    const { jobStatus: done } = await jobs.getJob('sdk-twin');
    expect(done.deviceJobStatistics).toEqual({ deviceCount: 3, succeededCount: 3, failedCount: 0, runningCount: 0, pendingCount: 0 });
    await expect.poll(() => patches.some((p) => p.floor === 3), { timeout: 10_000 }).toBe(true);
  });

  it('schedules a device method: answers from online devices, DeviceNotOnline for the offline one', async () => {
    const { jobStatus } = await jobs.scheduleDeviceMethod('sdk-method', "tags.building = '43'", { methodName: 'reboot', payload: { reason: 'patch' }, responseTimeoutInSeconds: 15 });
    expect(jobStatus.status).toBe('queued');
    await expect.poll(() => statusOf('sdk-method'), { timeout: 10_000 }).toBe('completed');
    const { jobStatus: done } = await jobs.getJob('sdk-method');
    expect(done.deviceJobStatistics).toMatchObject({ deviceCount: 3, succeededCount: 2, failedCount: 1 });

    const { result: rows } = await registry.createQuery("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'sdk-method'").next();
    const byDevice = new Map((rows as Array<{ deviceId: string }>).map((r) => [r.deviceId, r as Record<string, unknown>]));
    expect(byDevice.get('sdk-1')).toMatchObject({ status: 'completed', outcome: { deviceMethodResponse: { status: 200, payload: { rebooted: 'sdk-1', payload: { reason: 'patch' } } } } });
    expect(byDevice.get('sdk-off')).toMatchObject({ status: 'failed', error: { code: 'DeviceNotOnline' } });
  });

  it('schedules a job for later and cancels it before it starts', async () => {
    const { jobStatus } = await jobs.scheduleTwinUpdate('sdk-later', '*', { etag: '*', properties: { desired: { never: true } } }, new Date(Date.now() + 3_600_000), 600);
    expect(jobStatus).toMatchObject({ status: 'queued', maxExecutionTimeInSeconds: 600 });
    const { jobStatus: cancelled } = await jobs.cancelJob('sdk-later');
    expect(cancelled.status).toBe('cancelled');
    expect(hub.getTwin('sdk-1').properties.desired.never).toBeUndefined();
  });

  it('lists jobs through createQuery, filtered by type', async () => {
    const query = jobs.createQuery('scheduleUpdateTwin', undefined, 1);
    const ids: string[] = [];
    while (query.hasMoreResults) {
      // The SDK's promise-style next() drops the stored token unless it is passed back (nextAsTwin does not).
      const { result } = await query.next(query.continuationToken as unknown as string);
      ids.push(...(result as Array<{ jobId: string }>).map((j) => j.jobId));
    }
    expect(ids).toEqual(['sdk-twin', 'sdk-later']);
    const { result: cancelled } = await jobs.createQuery(undefined, 'cancelled').next();
    expect((cancelled as Array<{ jobId: string }>).map((j) => j.jobId)).toEqual(['sdk-later']);
  });

  it('reports a duplicate job id and an unknown job as errors', async () => {
    const duplicate = await jobs.scheduleTwinUpdate('sdk-twin', '*', { etag: '*', properties: { desired: { x: 1 } } }).then(
      () => undefined,
      (e: unknown) => e as { response?: { statusCode: number } },
    );
    expect(duplicate?.response?.statusCode).toBe(409);
    const missing = await jobs.getJob('sdk-none').then(
      () => undefined,
      (e: unknown) => e as { response?: { statusCode: number } },
    );
    expect(missing?.response?.statusCode).toBe(404);
  });
});
