import { startHub, type Hub } from '@hubemu/hub-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConvergenceRecord, DeviceClient, SimulatedDevice, factoryReset, firmwareUpdate, reboot, telemetryConfig } from '@hubemu/device-agent';

let hub: Hub;
const clients: DeviceClient[] = [];

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await hub.stop();
});

async function makeDevice(deviceId: string, behaviours: ConstructorParameters<typeof SimulatedDevice>[1]['behaviours'], desired?: Record<string, unknown>) {
  const { connectionString } = hub.createDevice(deviceId, desired ? { desired: desired as never } : {});
  const client = new DeviceClient({ connectionString, ca: hub.caPem, reconnect: { initialDelayMs: 20 } });
  clients.push(client);
  await client.open();
  const device = new SimulatedDevice(client, { behaviours, seed: 1 });
  const converged: ConvergenceRecord[] = [];
  device.on('converged', (r) => converged.push(r));
  await device.start();
  return { client, device, converged };
}

const reported = (deviceId: string) => hub.getTwin(deviceId).properties.reported;

describe('behaviours end to end against a real hub', () => {
  it('rolls out a telemetry configuration: Pending, then Success, with convergence measured', async () => {
    const { converged } = await makeDevice('e2e-config', [telemetryConfig({ applyDelayMs: 50 })]);
    await expect.poll(() => reported('e2e-config').telemetryConfig).toMatchObject({ configId: '0', status: 'Success' });
    hub.updateTwin('e2e-config', { properties: { desired: { telemetryConfig: { configId: 'c1', sendFrequency: '5m' } } } });
    await expect.poll(() => reported('e2e-config').telemetryConfig).toMatchObject({ status: 'Pending', pendingConfig: { configId: 'c1' } });
    await expect.poll(() => reported('e2e-config').telemetryConfig).toEqual({ configId: 'c1', sendFrequency: '5m', status: 'Success' });
    await expect.poll(() => converged.length).toBe(1);
    expect(converged[0]).toMatchObject({ outcome: 'applied', source: 'patch' });
  });

  it('applies a configuration set while the device was offline, at startup', async () => {
    await makeDevice('e2e-offline-config', [telemetryConfig({ applyDelayMs: 10 })], { telemetryConfig: { configId: 'early', sendFrequency: '1h' } });
    await expect.poll(() => reported('e2e-offline-config').telemetryConfig).toEqual({ configId: 'early', sendFrequency: '1h', status: 'Success' });
  });

  it('reboots on the reboot method: answers 200, drops the connection, comes back and reports', async () => {
    const { client } = await makeDevice('e2e-reboot', [reboot({ downtimeMs: 50 })]);
    const reasons: string[] = [];
    client.on('disconnect', (i) => reasons.push(i.reason));
    const result = await hub.invokeMethod('e2e-reboot', { methodName: 'reboot', responseTimeoutInSeconds: 5 });
    expect(result).toEqual({ status: 200, payload: { message: 'Reboot started' } });
    await expect.poll(() => reported('e2e-reboot').iothubDM).toMatchObject({ reboot: { rebootStatus: 'rebooted' } });
    expect(reasons).toEqual(['restart']);
    expect(client.isConnected).toBe(true);
  });

  it('updates firmware in stages from desired firmware, rebooting to activate it', async () => {
    const { converged } = await makeDevice('e2e-firmware', [firmwareUpdate({ stageMs: { downloading: 20, verifying: 10, applying: 10, rebooting: 30 } })]);
    await expect.poll(() => reported('e2e-firmware').firmware).toMatchObject({ currentFwVersion: '1.0.0', fwUpdateStatus: 'current' });
    const statuses: string[] = [];
    hub.events.on('twinUpdated', (e) => {
      const firmware = e.reported?.firmware;
      if (e.deviceId === 'e2e-firmware' && firmware && typeof firmware === 'object' && !Array.isArray(firmware) && typeof firmware.fwUpdateStatus === 'string') {
        statuses.push(firmware.fwUpdateStatus);
      }
    });
    hub.updateTwin('e2e-firmware', { properties: { desired: { firmware: { version: '2.0.0', fwPackageURI: 'https://example.com/fw', fwPackageCheckValue: 'x' } } } });
    await expect.poll(() => reported('e2e-firmware').firmware).toMatchObject({ currentFwVersion: '2.0.0', fwUpdateStatus: 'current', pendingFwVersion: '' });
    await expect.poll(() => converged.filter((c) => c.source === 'patch').map((c) => c.outcome)).toEqual(['applied']);
    expect(statuses).toEqual(['downloading', 'verifying', 'applying', 'rebooting', 'current']);
  });

  it('factory-resets: clears reported properties, reports completed and comes back with defaults', async () => {
    const { client } = await makeDevice('e2e-reset', [factoryReset({ downtimeMs: 20 }), telemetryConfig()]);
    await client.updateReported({ leftover: 'x' });
    const result = await hub.invokeMethod('e2e-reset', { methodName: 'factoryReset', responseTimeoutInSeconds: 5 });
    expect(result.status).toBe(200);
    await expect.poll(() => reported('e2e-reset').iothubDM).toMatchObject({ factoryReset: { status: 'completed' } });
    await expect.poll(() => reported('e2e-reset').telemetryConfig).toMatchObject({ configId: '0', status: 'Success' });
    expect(reported('e2e-reset')).not.toHaveProperty('leftover');
  });
});
