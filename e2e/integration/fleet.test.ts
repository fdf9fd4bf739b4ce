import { startHub, type Hub } from '@hubemu/hub-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firmwareUpdate, fleetDeviceIds, periodicTelemetry, runFleet, startFleet, telemetryConfig } from '@hubemu/device-agent';

let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
});

afterAll(async () => {
  await hub.stop();
});

describe('fleet simulator against a real hub', () => {
  it('connects a fleet with device tokens signed by the hub owner policy and reports connect numbers', async () => {
    const group = { model: 'plain', count: 25, idPrefix: 'fleet-plain-' };
    for (const id of fleetDeviceIds(group)) hub.createDevice(id);
    const report = await runFleet({
      connectionString: hub.connectionString('iothubowner'),
      devices: [group],
      client: { port: hub.ports.mqtt, ca: hub.caPem },
      connectRate: 500,
    });
    expect(report.devices).toMatchObject({ planned: 25, ready: 25, failed: 0 });
    expect(report.connectMs.count).toBe(25);
    expect(report.connectMs.max).toBeGreaterThanOrEqual(report.connectMs.p50);
    expect(report.messages.twinRequests).toBe(25);
    expect(report.failures).toEqual([]);
  });

  it('connects over MQTT over WebSockets to the HTTPS port named in the owner connection string', async () => {
    const group = { model: 'plain', count: 5, idPrefix: 'fleet-wss-' };
    for (const id of fleetDeviceIds(group)) hub.createDevice(id);
    const report = await runFleet({ connectionString: hub.connectionString(), devices: [group], client: { transport: 'wss', ca: hub.caPem } });
    expect(report.devices).toMatchObject({ planned: 5, ready: 5, failed: 0 });
  });

  it('rolls a telemetry configuration and a firmware update out to the fleet and measures convergence', async () => {
    const group = {
      model: 'thermostat',
      count: 20,
      idPrefix: 'fleet-thermo-',
      behaviours: [
        telemetryConfig({ applyDelayMs: 30 }),
        firmwareUpdate({ stageMs: { downloading: 20, verifying: 10, applying: 10, rebooting: 20 } }),
        periodicTelemetry({ intervalMs: 200 }),
      ],
    };
    const ids = fleetDeviceIds(group);
    const keys = new Map(ids.map((id) => [id, hub.createDevice(id).device.authentication.symmetricKey.primaryKey ?? '']));
    const fleet = startFleet({
      hostName: hub.hostName,
      deviceKey: (id) => keys.get(id),
      devices: [group],
      client: { port: hub.ports.mqtt, ca: hub.caPem, reconnect: { initialDelayMs: 20 } },
      seed: 3,
    });
    try {
      await fleet.settled;
      expect(fleet.report().devices.ready).toBe(20);
      for (const id of ids) {
        hub.updateTwin(id, { properties: { desired: { telemetryConfig: { configId: 'rollout-1', sendFrequency: '1s' }, firmware: { version: '2.0.0', fwPackageURI: 'https://example.com/fw' } } } });
      }
      const report = await fleet.waitFor((r) => r.convergence.applied >= 20 && r.convergence.inFlight === 0, { timeoutMs: 15_000 });
      expect(report.convergence.failed).toBe(0);
      expect(report.convergence.p99).toBeGreaterThan(0);
      for (const id of ids) {
        expect(hub.getTwin(id).properties.reported).toMatchObject({
          telemetryConfig: { configId: 'rollout-1', status: 'Success' },
          firmware: { currentFwVersion: '2.0.0', fwUpdateStatus: 'current' },
        });
      }
      await expect.poll(() => fleet.report().messages.telemetry, { timeout: 10_000 }).toBeGreaterThan(20);
      expect(fleet.report().reconnects).toBeGreaterThanOrEqual(20);
    } finally {
      const final = await fleet.stop();
      expect(final.devices.connected).toBe(0);
    }
  });

  it('reports devices that do not exist as failures with the reason', async () => {
    const report = await runFleet({
      connectionString: hub.connectionString('device'),
      devices: [{ model: 'ghost', count: 3, behaviours: [] }],
      client: { port: hub.ports.mqtt, ca: hub.caPem },
    });
    expect(report.devices).toMatchObject({ planned: 3, ready: 0, failed: 3 });
    expect(report.failures).toEqual([{ reason: expect.stringMatching(/^Unauthorized/), count: 3, deviceIds: ['ghost-00000', 'ghost-00001', 'ghost-00002'] }]);
  });
});
