import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, type Twin } from 'azure-iot-device';
import { Mqtt, MqttWs } from 'azure-iot-device-mqtt';
import { DESIRED_PATCH_FILTER, signSasToken } from '@hubemu/shared';
import { startE2eHub, waitFor } from './hub-fixture.js';

type E2eHub = Awaited<ReturnType<typeof startE2eHub>>;
let hub: E2eHub;

beforeAll(async () => {
  hub = await startE2eHub();
});
afterAll(async () => {
  await hub.dispose();
});

function reportAsync(twin: Twin, patch: object): Promise<void> {
  return new Promise((resolve, reject) => twin.properties.reported.update(patch, (error?: Error) => (error ? reject(error) : resolve())));
}

/** The next desired-property notification whose $version is `version`. */
function desiredVersion(twin: Twin, version: number): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const listener = (delta: Record<string, unknown>): void => {
      if (delta.$version === version) {
        twin.removeListener('properties.desired', listener);
        resolve(delta);
      }
    };
    twin.on('properties.desired', listener);
  });
}

describe.each([
  ['Mqtt (MQTT over TLS on 8883)', Mqtt],
  ['MqttWs (MQTT over WebSockets on 443)', MqttWs],
] as const)('Microsoft azure-iot-device with %s', (_name, transport) => {
  it('opens, reads its twin, reports properties and receives a desired update made on the hub', async () => {
    const deviceId = `sdk-${transport === Mqtt ? 'mqtt' : 'ws'}`;
    const { connectionString } = hub.createDevice(deviceId, { desired: { telemetryInterval: 30 } });
    const client = Client.fromConnectionString(connectionString, transport);
    await client.open();
    try {
      expect(hub.registry.getDevice(deviceId).connectionState).toBe('Connected');
      expect(hub.connectedDevices()).toContain(deviceId);
      const twin = await client.getTwin();
      expect(twin.properties.desired.telemetryInterval).toBe(30);
      expect(twin.properties.desired.$version).toBe(2);

      await reportAsync(twin, { firmware: { version: '1.0.1' }, battery: 88 });
      const serviceTwin = hub.getTwin(deviceId);
      expect(serviceTwin.properties.reported.firmware).toEqual({ version: '1.0.1' });
      expect(serviceTwin.properties.reported.$version).toBe(2);
      expect(serviceTwin.properties.reported.$metadata).toMatchObject({ battery: { $lastUpdated: expect.stringMatching(/\.\d{7}Z$/) } });

      const notified = desiredVersion(twin, 3);
      await waitFor(() => (hub.subscriptions(deviceId).includes(DESIRED_PATCH_FILTER) ? true : undefined), 10_000, 'the desired subscription');
      hub.updateTwin(deviceId, { properties: { desired: { telemetryInterval: 5, mode: 'eco' } } });
      expect(await notified).toMatchObject({ telemetryInterval: 5, mode: 'eco', $version: 3 });
      expect(twin.properties.desired.mode).toBe('eco');
    } finally {
      await client.close();
    }
  });
});

describe('connections the hub refuses', () => {
  it('refuses a device key that is not the device\'s', async () => {
    hub.createDevice('wrong-key');
    const client = Client.fromConnectionString(`HostName=localhost;DeviceId=wrong-key;SharedAccessKey=${Buffer.alloc(32, 7).toString('base64')}`, Mqtt);
    await expect(client.open()).rejects.toThrow(/not authorized|unauthorized/i);
    expect(hub.registry.getDevice('wrong-key').connectionState).toBe('Disconnected');
  });

  it('refuses an expired SAS token', async () => {
    const { device } = hub.createDevice('expired');
    const key = device.authentication.symmetricKey.primaryKey as string;
    const token = signSasToken('localhost/devices/expired', key, Math.floor(Date.now() / 1000) - 60);
    const client = Client.fromSharedAccessSignature(token, Mqtt);
    await expect(client.open()).rejects.toThrow(/not authorized|unauthorized/i);
  });

  it('accepts a valid SAS token given directly', async () => {
    const { device } = hub.createDevice('sas-direct');
    const key = device.authentication.symmetricKey.primaryKey as string;
    const token = signSasToken('localhost/devices/sas-direct', key, Math.floor(Date.now() / 1000) + 600);
    const client = Client.fromSharedAccessSignature(token, Mqtt);
    await client.open();
    await client.close();
  });

  it('refuses a disabled device', async () => {
    const { connectionString } = hub.createDevice('disabled', { status: 'disabled' });
    const client = Client.fromConnectionString(connectionString, Mqtt);
    await expect(client.open()).rejects.toThrow(/not authorized|unauthorized/i);
  });

  it('drops a connected device when it is disabled', async () => {
    const { connectionString, device } = hub.createDevice('to-disable');
    const client = Client.fromConnectionString(connectionString, Mqtt);
    await client.open();
    const disconnected = new Promise<void>((resolve) => hub.events.once('deviceDisconnected', () => resolve()));
    hub.registry.updateDevice('to-disable', { status: 'disabled' }, `"${device.etag}"`);
    await disconnected;
    expect(hub.registry.getDevice('to-disable').connectionState).toBe('Disconnected');
    await client.close();
  });
});
