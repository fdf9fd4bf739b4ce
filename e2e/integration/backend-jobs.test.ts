import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '@hubemu/hub-emulator';
import { configurationInputOf, ServiceClient, type DeviceJobRecord } from '@hubemu/backend';
import { DeviceClient, type DesiredPatch } from '@hubemu/device-agent';
import { failure } from './service-failure.js';

/**
 * Jobs and automatic device configurations through our back-end client, against a fleet of 36
 * devices: 12 connected with our device client (answering `reboot`, reporting the firmware they are
 * told to take), 24 offline. Tags: building '43' for all; floor n % 3; environment test (even n) or prod.
 */

const FLEET = 36;
const ONLINE = 12;
const ids = Array.from({ length: FLEET }, (_, n) => `fleet-${String(n).padStart(2, '0')}`);
const online = ids.slice(0, ONLINE);
const offline = ids.slice(ONLINE);
const isTest = (id: string): boolean => Number(id.slice(-2)) % 2 === 0;

let hub: Hub;
let client: ServiceClient;
const devices = new Map<string, { client: DeviceClient; desired: DesiredPatch[] }>();

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, configurationIntervalMs: 50 });
  client = ServiceClient.fromConnectionString(hub.connectionString(), { ca: hub.caPem });
  const created = await Promise.all(
    ids.map(async (id, n) => {
      const device = await client.devices.create(id);
      await client.twins.patch(id, { tags: { building: '43', floor: n % 3, environment: isTest(id) ? 'test' : 'prod' } });
      return device;
    }),
  );
  await Promise.all(
    created.slice(0, ONLINE).map(async (identity) => {
      const key = identity.authentication.symmetricKey.primaryKey;
      if (!key) throw new Error(`${identity.deviceId} has no primary key`);
      const device = new DeviceClient({ hostName: hub.hostName, port: hub.ports.mqtt, deviceId: identity.deviceId, sharedAccessKey: key, ca: hub.caPem });
      const desired: DesiredPatch[] = [];
      devices.set(identity.deviceId, { client: device, desired });
      await device.open();
      await device.onMethod('reboot', (payload) => ({ status: 200, payload: { rebooted: identity.deviceId, asked: payload } }));
      await device.onDesired((patch) => {
        desired.push(patch);
        const firmware = patch.firmware as { version?: string } | null | undefined;
        if (firmware?.version) void device.updateReported({ firmware: { version: firmware.version } });
      });
    }),
  );
});

afterAll(async () => {
  await Promise.all([...devices.values()].map((d) => d.client.close()));
  client.close();
  await hub.stop();
});

const rowsOf = (jobId: string): Promise<DeviceJobRecord[]> => client.query.all<DeviceJobRecord>(`SELECT * FROM devices.jobs WHERE devices.jobs.jobId = '${jobId}'`);

describe('jobs through the back-end client', () => {
  it('updates the twins of the whole fleet, online or not, and reports 36 of 36 in statistics and rows', async () => {
    const created = await client.jobs.scheduleTwinUpdate('set-temperature', {
      queryCondition: "tags.building = '43'",
      twinPatch: { tags: { lastJob: 'set-temperature' }, properties: { desired: { targetTemperature: 21 } } },
    });
    expect(created).toMatchObject({ jobId: 'set-temperature', type: 'scheduleUpdateTwin', status: 'queued', maxExecutionTimeInSeconds: 3600 });

    const job = await client.jobs.waitUntilFinished('set-temperature', { timeoutMs: 30_000, pollIntervalMs: 200 });
    expect(job).toMatchObject({ status: 'completed', endTime: expect.any(String), deviceJobStatistics: { deviceCount: FLEET, succeededCount: FLEET, failedCount: 0, runningCount: 0, pendingCount: 0 } });

    const pages = [];
    for await (const page of client.query.pages<DeviceJobRecord>("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'set-temperature'", { pageSize: 10 })) pages.push(page);
    expect(pages.map((p) => p.items.length)).toEqual([10, 10, 10, 6]);
    expect(pages[0]?.itemType).toBe('deviceJob');
    const rows = pages.flatMap((p) => p.items);
    expect(rows.map((r) => r.deviceId).sort()).toEqual(ids);
    expect(rows.every((r) => r.status === 'completed' && r.jobType === 'scheduleUpdateTwin')).toBe(true);

    const twin = await client.twins.get(offline[0] as string);
    expect(twin.tags).toMatchObject({ lastJob: 'set-temperature', building: '43' });
    expect(twin.properties.desired.targetTemperature).toBe(21);
    // Connected devices were told at once.
    await expect.poll(() => online.filter((id) => devices.get(id)?.desired.some((p) => p.targetTemperature === 21)).length).toBe(ONLINE);
  });

  it('reboots the fleet: online devices answer, offline ones fail with DeviceNotOnline, and the rows say which', async () => {
    await client.jobs.scheduleDeviceMethod('reboot-43', {
      queryCondition: "tags.building = '43'",
      method: { methodName: 'reboot', payload: { delay: 1 }, responseTimeoutInSeconds: 10 },
      maxExecutionTimeInSeconds: 120,
    });
    const job = await client.jobs.waitUntilFinished('reboot-43', { timeoutMs: 30_000, pollIntervalMs: 200 });
    expect(job).toMatchObject({
      status: 'completed',
      cloudToDeviceMethod: { methodName: 'reboot', payload: { delay: 1 }, responseTimeoutInSeconds: 10, connectTimeoutInSeconds: 0 },
      deviceJobStatistics: { deviceCount: FLEET, succeededCount: ONLINE, failedCount: FLEET - ONLINE, runningCount: 0, pendingCount: 0 },
    });

    const rows = await rowsOf('reboot-43');
    const completed = rows.filter((r) => r.status === 'completed');
    expect(completed.map((r) => r.deviceId).sort()).toEqual(online);
    for (const row of completed) expect(row.outcome).toEqual({ deviceMethodResponse: { status: 200, payload: { rebooted: row.deviceId, asked: { delay: 1 } } } });
    const failed = rows.filter((r) => r.status === 'failed');
    expect(failed.map((r) => r.deviceId).sort()).toEqual(offline);
    expect(failed.every((r) => r.error?.code === 'DeviceNotOnline')).toBe(true);

    const failedOnly = await client.query.all<DeviceJobRecord>("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'reboot-43' AND devices.jobs.status = 'failed'");
    expect(failedOnly).toHaveLength(FLEET - ONLINE);
  });

  it('schedules a job for later and cancels it; lists jobs by type and status, page by page', async () => {
    const later = await client.jobs.scheduleDeviceMethod('reboot-later', {
      queryCondition: '*',
      method: { methodName: 'reboot' },
      startTime: new Date(Date.now() + 3_600_000),
    });
    expect(later.status).toBe('queued');
    expect((await client.jobs.cancel('reboot-later')).status).toBe('cancelled');
    expect((await client.jobs.waitUntilFinished('reboot-later')).status).toBe('cancelled');
    expect(await rowsOf('reboot-later')).toEqual([]);

    expect((await client.jobs.list({ jobType: 'scheduleDeviceMethod' })).map((j) => j.jobId)).toEqual(['reboot-43', 'reboot-later']);
    expect((await client.jobs.list({ jobStatus: 'completed' })).map((j) => j.jobId)).toEqual(['set-temperature', 'reboot-43']);
    expect((await client.jobs.list({ top: 1 })).map((j) => j.jobId)).toEqual(['set-temperature']);
    const pages = [];
    for await (const page of client.jobs.pages({ pageSize: 1 })) pages.push(page);
    expect(pages.map((p) => p.items.map((j) => j.jobId))).toEqual([['set-temperature'], ['reboot-43'], ['reboot-later']]);
    expect(pages[0]?.itemType).toBe('jobResponse');
  });

  it('raises the hub’s job errors as ServiceError: unknown job, duplicate id, bad condition', async () => {
    expect(await failure(client.jobs.get('nobody'))).toMatchObject({ status: 404, errorCode: 'JobNotFound', code: 404002 });
    expect(await failure(client.jobs.scheduleTwinUpdate('set-temperature', { queryCondition: '*', twinPatch: { tags: { a: 1 } } }))).toMatchObject({ status: 409, errorCode: 'JobAlreadyExists' });
    expect(await failure(client.jobs.scheduleTwinUpdate('bad-condition', { queryCondition: 'tags.a = = 1', twinPatch: { tags: { a: 1 } } }))).toMatchObject({ status: 400 });
  });
});

describe('automatic device configurations through the back-end client', () => {
  const reportedV2 = "SELECT deviceId FROM devices WHERE properties.reported.firmware.version = '2.0'";
  const testIds = ids.filter(isTest);

  it('checks queries before creating anything', async () => {
    expect(await client.configurations.testQueries({ targetCondition: "tags.environment = 'test'", customMetricQueries: { reported: reportedV2 } })).toEqual({
      targetConditionError: '',
      customMetricQueryErrors: { reported: '' },
    });
    const bad = await client.configurations.testQueries({ targetCondition: 'tags.environment = = 1', customMetricQueries: { broken: 'SELEKT deviceId' } });
    expect(bad.targetConditionError).not.toBe('');
    expect(bad.customMetricQueryErrors.broken).not.toBe('');
  });

  it('rolls firmware 2.0 out to the test devices: statuses, system metrics and a custom metric fed by the devices', async () => {
    const created = await client.configurations.create('firmware-2', {
      content: { deviceContent: { 'properties.desired.firmware': { version: '2.0', url: 'https://example.test/fw-2.0.bin' } } },
      targetCondition: "tags.environment = 'test'",
      priority: 10,
      labels: { rollout: 'wave-1' },
      metrics: { queries: { reported: reportedV2 } },
    });
    expect(created).toMatchObject({ id: 'firmware-2', schemaVersion: '1.0', priority: 10, labels: { rollout: 'wave-1' }, etag: expect.any(String) });
    expect(created.systemMetrics.queries.appliedCount).toBe("select deviceId from devices where configurations.[[firmware-2]].status = 'Applied'");

    const onlineTest = online.filter(isTest);
    await expect
      .poll(async () => {
        const { systemMetrics, metrics } = await client.configurations.get('firmware-2');
        return { ...systemMetrics.results, ...metrics.results };
      }, { timeout: 20_000, interval: 100 })
      .toEqual({ targetedCount: testIds.length, appliedCount: testIds.length, reported: onlineTest.length });

    const applied = await client.query.all<{ deviceId: string }>("SELECT deviceId FROM devices WHERE configurations.[[firmware-2]].status = 'Applied'");
    expect(applied.map((r) => r.deviceId).sort()).toEqual(testIds);
    const offlineTwin = await client.twins.get(offline.find(isTest) as string);
    expect(offlineTwin.properties.desired.firmware).toEqual({ version: '2.0', url: 'https://example.test/fw-2.0.bin' });
    expect(offlineTwin.configurations).toEqual({ 'firmware-2': { status: 'Applied' } });
    expect((await client.twins.get('fleet-01')).configurations ?? {}).not.toHaveProperty('firmware-2');
    expect(devices.get('fleet-00')?.desired.some((p) => (p.firmware as { version?: string } | undefined)?.version === '2.0')).toBe(true);
  });

  it('updates what may change with the etag, refuses a stale etag and a content change, and narrows the rollout', async () => {
    const current = await client.configurations.get('firmware-2');
    const narrowed = await client.configurations.update(
      'firmware-2',
      { ...configurationInputOf(current), priority: 20, labels: { rollout: 'wave-2' }, targetCondition: "tags.environment = 'test' AND tags.floor = 0" },
      { etag: current.etag },
    );
    expect(narrowed).toMatchObject({ priority: 20, labels: { rollout: 'wave-2' }, content: { deviceContent: current.content.deviceContent } });
    expect(narrowed.etag).not.toBe(current.etag);

    expect(await failure(client.configurations.update('firmware-2', { ...configurationInputOf(current), priority: 1 }, { etag: current.etag }))).toMatchObject({
      status: 412,
      errorCode: 'PreconditionFailed',
    });
    const changedContent = { ...configurationInputOf(narrowed), content: { deviceContent: { 'properties.desired.firmware': { version: '3.0' } } } };
    expect(await failure(client.configurations.update('firmware-2', changedContent, { etag: narrowed.etag }))).toMatchObject({
      status: 400,
      errorCode: 'CannotModifyImmutableConfigurationContent',
    });

    // Test devices on floor 0 (n % 6 = 0) stay targeted; the others lose the firmware setting.
    const stillTargeted = ids.filter((id) => Number(id.slice(-2)) % 6 === 0);
    await expect
      .poll(async () => (await client.configurations.get('firmware-2')).systemMetrics.results, { timeout: 20_000, interval: 100 })
      .toEqual({ targetedCount: stillTargeted.length, appliedCount: stillTargeted.length });
    await expect.poll(async () => (await client.twins.get('fleet-02')).properties.desired.firmware, { timeout: 10_000 }).toBeUndefined();
    expect((await client.twins.get('fleet-06')).properties.desired.firmware).toMatchObject({ version: '2.0' });
  });

  it('lists and deletes a configuration, after which it is not found', async () => {
    expect((await client.configurations.list()).map((c) => c.id)).toEqual(['firmware-2']);
    const current = await client.configurations.get('firmware-2');
    expect(await failure(client.configurations.create('firmware-2', { content: { deviceContent: { 'properties.desired.x': 1 } } }))).toMatchObject({
      status: 409,
      errorCode: 'ConfigurationAlreadyExists',
    });
    await client.configurations.delete('firmware-2', { etag: current.etag });
    expect(await failure(client.configurations.get('firmware-2'))).toMatchObject({ status: 404, errorCode: 'ConfigurationNotFound' });
    expect(await client.configurations.list()).toEqual([]);
  });
});
