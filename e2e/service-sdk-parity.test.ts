import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as DeviceClient, type Twin as DeviceTwin } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { JobClient, Registry } from 'azure-iothub';
import { startE2eHub, rejection } from './hub-fixture.js';

/**
 * Behaviours matched to the real service (issue 10), driven with Microsoft's SDKs: whole twin sections
 * set to null, an empty `reported` in a job's twin patch (as Microsoft's own e2e tests send it), the
 * status of a job waiting for its start time, edge device scopes, and a configuration whose content
 * key is the whole `properties.desired` section.
 */
let hub: Awaited<ReturnType<typeof startE2eHub>>;
let registry: Registry;
let jobs: JobClient;

beforeAll(async () => {
  hub = await startE2eHub({ configurationIntervalMs: 100 });
  registry = Registry.fromConnectionString(hub.connectionString());
  jobs = JobClient.fromConnectionString(hub.connectionString());
});
afterAll(async () => {
  await hub.dispose();
});

async function openDevice(deviceId: string): Promise<DeviceClient> {
  const { responseBody: device } = await registry.create({ deviceId });
  const client = DeviceClient.fromConnectionString(`HostName=localhost;DeviceId=${deviceId};SharedAccessKey=${device.authentication?.symmetricKey?.primaryKey as string}`, Mqtt);
  await client.open();
  return client;
}

/** The next desired delta the device client reports with this `$version`. */
function desiredDelta(twin: DeviceTwin, version: number): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const listener = (delta: Record<string, unknown>) => {
      if (delta.$version !== version) return;
      twin.removeListener('properties.desired', listener);
      resolve(delta);
    };
    twin.on('properties.desired', listener);
  });
}

const jobStatus = async (jobId: string): Promise<string> => ((await jobs.getJob(jobId)).jobStatus as { status: string }).status;

describe('whole twin sections set to null with Registry.updateTwin', () => {
  it('clears every desired property and the connected device is told each removed key is null', async () => {
    const client = await openDevice('parity-desired');
    try {
      const twin = await client.getTwin();
      const set = desiredDelta(twin, 2);
      await registry.updateTwin('parity-desired', { properties: { desired: { fan: 'on', limits: { max: 5 } } } }, '*');
      await set;
      const cleared = desiredDelta(twin, 3);
      const { responseBody: after } = await registry.updateTwin('parity-desired', { properties: { desired: null } }, '*');
      expect(await cleared).toMatchObject({ fan: null, limits: null, $version: 3 });
      expect(after.properties.desired).not.toHaveProperty('fan');
      expect(after.properties.desired.$version).toBe(3);
    } finally {
      await client.close();
    }
  });

  it('clears every tag with "tags": null', async () => {
    await registry.create({ deviceId: 'parity-tags' });
    await registry.updateTwin('parity-tags', { tags: { site: 'oslo', floor: 3 } }, '*');
    const { responseBody: twin } = await registry.updateTwin('parity-tags', { tags: null }, '*');
    expect(twin.tags ?? {}).toEqual({});
  });
});

describe("JobClient twin updates as Microsoft's e2e tests send them", () => {
  it('runs a twin update whose patch carries empty desired and reported sections, and writes the tags', async () => {
    await registry.create({ deviceId: 'parity-job' });
    const patch = { etag: '*', tags: { key: 'value2' }, properties: { desired: {}, reported: {} } };
    await jobs.scheduleTwinUpdate('parity-job-now', "deviceId = 'parity-job'", patch, new Date(Date.now()), 120);
    await expect.poll(() => jobStatus('parity-job-now'), { timeout: 30_000 }).toBe('completed');
    expect((await registry.getTwin('parity-job')).responseBody.tags).toMatchObject({ key: 'value2' });
  });

  it('answers queued for a twin update scheduled an hour ahead, in the create answer and getJob, and cancels it', async () => {
    const patch = { etag: '*', tags: {}, properties: { desired: {}, reported: {} } };
    const { jobStatus: created } = await jobs.scheduleTwinUpdate('parity-job-later', "deviceId = 'parity-job'", patch, new Date(Date.now() + 3_600_000), 120);
    expect(created).toMatchObject({ jobId: 'parity-job-later', status: 'queued' });
    expect(await jobStatus('parity-job-later')).toBe('queued');
    await jobs.cancelJob('parity-job-later');
    await expect.poll(() => jobStatus('parity-job-later'), { timeout: 10_000 }).toBe('cancelled');
  });

  it('answers queued for a device method job scheduled an hour ahead', async () => {
    const { jobStatus: created } = await jobs.scheduleDeviceMethod('parity-method-later', "deviceId = 'parity-job'", { methodName: 'testMethod', payload: null, responseTimeoutInSeconds: 30 }, new Date(Date.now() + 3_600_000), 120);
    expect(created).toMatchObject({ jobId: 'parity-method-later', status: 'queued' });
    await jobs.cancelJob('parity-method-later');
  });
});

describe('edge device scopes through Registry', () => {
  /** The scope fields of the service's Device JSON (azure-iothub's Device type names them on input only). */
  interface ScopedDevice {
    deviceId: string;
    generationId: string;
    etag: string;
    deviceScope?: string;
    parentScopes?: string[];
  }
  const scoped = async (answer: Promise<{ responseBody: unknown }>): Promise<ScopedDevice> => (await answer).responseBody as ScopedDevice;

  it('gives an edge device its scope, puts a leaf under it, nests an edge device, and refuses a scope that is not an edge device', async () => {
    const gateway = await scoped(registry.create({ deviceId: 'parity-gw', capabilities: { iotEdge: true } }));
    const scope = gateway.deviceScope as string;
    expect(scope).toBe(`ms-azure-iot-edge://parity-gw-${gateway.generationId}`);

    const leaf = await scoped(registry.create({ deviceId: 'parity-leaf', deviceScope: scope }));
    expect(leaf).toMatchObject({ deviceScope: scope, parentScopes: [scope] });

    const child = await scoped(registry.create({ deviceId: 'parity-gw-child', capabilities: { iotEdge: true }, parentScopes: [scope] }));
    expect(child.deviceScope).toBe(`ms-azure-iot-edge://parity-gw-child-${child.generationId}`);
    expect(child.parentScopes).toEqual([scope]);

    const refused = await rejection(registry.update({ deviceId: 'parity-leaf', etag: leaf.etag, deviceScope: 'ms-azure-iot-edge://nobody-1' }));
    expect(refused.response?.statusCode).toBe(400);
    expect((await scoped(registry.get('parity-leaf'))).deviceScope).toBe(scope);
  });
});

describe('a configuration whose content key is the whole properties.desired section', () => {
  it('is accepted by Registry.addConfiguration and applied to the targeted twin', async () => {
    await registry.create({ deviceId: 'parity-cfg' });
    await registry.updateTwin('parity-cfg', { tags: { parity: 'cfg' } }, '*');
    await registry.addConfiguration({
      id: 'parity-whole',
      schemaVersion: '1.0',
      content: { deviceContent: { 'properties.desired': { mode: 'eco', fw: { version: '2.0' } } } },
      targetCondition: "tags.parity = 'cfg'",
      priority: 1,
    });
    await expect
      .poll(async () => (await registry.getTwin('parity-cfg')).responseBody.properties.desired.mode, { timeout: 15_000 })
      .toBe('eco');
    expect((await registry.getTwin('parity-cfg')).responseBody.properties.desired.fw).toEqual({ version: '2.0' });
  });
});
