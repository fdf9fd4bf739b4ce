import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as ServiceClient, JobClient, Registry } from 'azure-iothub';
import { startFleet, type Fleet } from '@hubemu/device-agent';
import type { TwinUpdatedEvent } from '@hubemu/hub-emulator';
import { startE2eHub } from './hub-fixture.js';

/**
 * The device management patterns end to end: simulated devices from the device agent implement each
 * pattern, and a back end drives it across the fleet through Microsoft's azure-iothub (JobClient,
 * Registry configurations, Client.invokeDeviceMethod), on the real ports.
 */
type E2eHub = Awaited<ReturnType<typeof startE2eHub>>;
const FLEET = 12;
let hub: E2eHub;
let fleet: Fleet;
let registry: Registry;
let jobs: JobClient;

beforeAll(async () => {
  hub = await startE2eHub({
    configurationIntervalMs: 100,
    seed: { devices: [{ deviceId: 'thermostat-{n}', count: FLEET, tags: { model: 'thermostat', location: { plant: 'Redmond43' } } }] },
  });
  fleet = startFleet({
    hostName: 'localhost',
    deviceKey: (id) => hub.registry.getDevice(id).authentication.symmetricKey.primaryKey ?? undefined,
    devices: [{ model: 'thermostat', deviceIds: Array.from({ length: FLEET }, (_, i) => `thermostat-${i + 1}`) }],
  });
  await fleet.settled;
  expect(fleet.report().devices.ready).toBe(FLEET);
  registry = Registry.fromConnectionString(hub.connectionString());
  jobs = JobClient.fromConnectionString(hub.connectionString());
});
afterAll(async () => {
  await fleet.stop();
  await hub.dispose();
});

async function groupBy(path: string): Promise<Record<string, number>> {
  const { result } = await registry.createQuery(`SELECT ${path} AS value, COUNT() AS n FROM devices GROUP BY ${path}`).next();
  return Object.fromEntries((result as Array<{ value?: unknown; n: number }>).map((row) => [String(row.value), row.n]));
}

async function jobStatus(jobId: string): Promise<string> {
  const { jobStatus } = await jobs.getJob(jobId);
  return (jobStatus as { status: string }).status;
}

describe('device management patterns across a fleet', () => {
  it('reboots every thermostat with a method job and each reports lastReboot', async () => {
    const started = Date.now();
    await jobs.scheduleDeviceMethod('reboot-all', "tags.model = 'thermostat'", { methodName: 'reboot', payload: null, responseTimeoutInSeconds: 30 });
    await expect.poll(() => jobStatus('reboot-all'), { timeout: 30_000 }).toBe('completed');
    const { jobStatus: job } = await jobs.getJob('reboot-all');
    expect((job as { deviceJobStatistics: unknown }).deviceJobStatistics).toMatchObject({ deviceCount: FLEET, succeededCount: FLEET, failedCount: 0 });
    const rows = await registry.createQuery("SELECT * FROM devices.jobs WHERE devices.jobs.jobId = 'reboot-all'").next();
    expect(rows.result).toHaveLength(FLEET);
    expect((rows.result as Array<{ outcome: { deviceMethodResponse: { status: number } } }>).every((r) => r.outcome.deviceMethodResponse.status === 200)).toBe(true);
    await expect.poll(() => groupBy('properties.reported.iothubDM.reboot.rebootStatus'), { timeout: 30_000 }).toEqual({ rebooted: FLEET });
    const twin = hub.getTwin('thermostat-1').properties.reported as { iothubDM: { reboot: { lastReboot: string } } };
    expect(Date.parse(twin.iothubDM.reboot.lastReboot)).toBeGreaterThanOrEqual(started - 1000);
  });

  it('factory-resets one device by a direct method', async () => {
    const client = ServiceClient.fromConnectionString(hub.connectionString());
    const { result } = await client.invokeDeviceMethod('thermostat-3', { methodName: 'factoryReset', payload: null, responseTimeoutInSeconds: 30 });
    expect(result.status).toBe(200);
    await expect
      .poll(() => (hub.getTwin('thermostat-3').properties.reported as { iothubDM?: { factoryReset?: { status?: string } } }).iothubDM?.factoryReset?.status, { timeout: 30_000 })
      .toBe('completed');
    await client.close();
  });

  it('rolls a telemetry configuration out with an automatic device configuration: Pending, then Success everywhere', async () => {
    // Every reported telemetryConfig patch, per device and in order, from the hub's twinUpdated events:
    // the Pending state lasts a moment only, so polling the twins could miss it.
    const reports = new Map<string, unknown[]>();
    const onTwinUpdated = (event: TwinUpdatedEvent): void => {
      const reported = event.source === 'device' ? event.reported?.telemetryConfig : undefined;
      if (reported !== undefined) reports.set(event.deviceId, [...(reports.get(event.deviceId) ?? []), reported]);
    };
    hub.events.on('twinUpdated', onTwinUpdated);
    try {
      await registry.addConfiguration({
        id: 'telemetry-5m',
        schemaVersion: '1.0',
        labels: { purpose: 'telemetry' },
        content: { deviceContent: { 'properties.desired.telemetryConfig': { configId: 'c5m', sendFrequency: '5m' } } },
        targetCondition: "tags.model = 'thermostat'",
        priority: 10,
        metrics: { queries: { converged: "SELECT deviceId FROM devices WHERE properties.reported.telemetryConfig.configId = 'c5m' AND properties.reported.telemetryConfig.status = 'Success'" } },
      } as never);
      await expect.poll(() => groupBy('properties.reported.telemetryConfig.configId'), { timeout: 30_000 }).toEqual({ c5m: FLEET });
    } finally {
      hub.events.off('twinUpdated', onTwinUpdated);
    }
    expect(await groupBy('properties.reported.telemetryConfig.status')).toEqual({ Success: FLEET });
    // Each device first said Pending, still on its old configuration ('0', every 24h), with the one it
    // was applying in pendingConfig; then Success on the new one, clearing pendingConfig (null removes
    // it from the twin).
    for (let n = 1; n <= FLEET; n++) {
      expect(reports.get(`thermostat-${n}`), `thermostat-${n}`).toEqual([
        { configId: '0', sendFrequency: '24h', status: 'Pending', pendingConfig: { configId: 'c5m', sendFrequency: '5m' } },
        { configId: 'c5m', sendFrequency: '5m', status: 'Success', pendingConfig: null },
      ]);
      expect(hub.getTwin(`thermostat-${n}`).properties.reported.telemetryConfig).toEqual({ configId: 'c5m', sendFrequency: '5m', status: 'Success' });
    }
    await expect
      .poll(async () => {
        const { responseBody } = await registry.getConfiguration('telemetry-5m');
        return { system: responseBody.systemMetrics?.results, custom: responseBody.metrics?.results };
      }, { timeout: 30_000 })
      .toEqual({ system: { targetedCount: FLEET, appliedCount: FLEET }, custom: { converged: FLEET } });
    const { result } = await registry.createQuery("SELECT deviceId FROM devices WHERE configurations.[[telemetry-5m]].status = 'Applied'").next();
    expect(result).toHaveLength(FLEET);
  });

  it('updates firmware in stages with a twin-update job until GROUP BY shows every device current', async () => {
    await jobs.scheduleTwinUpdate('firmware-2', "tags.location.plant = 'Redmond43'", {
      etag: '*',
      properties: { desired: { firmware: { version: '2.0.0', fwPackageURI: 'https://firmware.example/2.0.0.bin', fwPackageCheckValue: 'abc123' } } },
    });
    await expect.poll(() => jobStatus('firmware-2'), { timeout: 30_000 }).toBe('completed');
    await expect.poll(() => groupBy('properties.reported.firmware.currentFwVersion'), { timeout: 60_000 }).toEqual({ '2.0.0': FLEET });
    expect(await groupBy('properties.reported.firmware.fwUpdateStatus')).toEqual({ current: FLEET });
    const stages = hub
      .traffic({ deviceId: 'thermostat-5', operation: 'twin.patchReported' })
      .filter((r) => r.payload?.includes('fwUpdateStatus'))
      .map((r) => (JSON.parse(r.payload ?? '') as { firmware: { fwUpdateStatus: string } }).firmware.fwUpdateStatus);
    expect(stages.slice(stages.indexOf('downloading'))).toEqual(['downloading', 'verifying', 'applying', 'rebooting', 'current']);
  });
});
