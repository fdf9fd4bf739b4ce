import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as DeviceClient } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { Client as ServiceClient, Registry } from 'azure-iothub';
import { startE2eHub, rejection } from './hub-fixture.js';

// Microsoft's service SDK on the real port 443, trusting the hub's CA through NODE_EXTRA_CA_CERTS.
let hub: Awaited<ReturnType<typeof startE2eHub>>;
let registry: Registry;

beforeAll(async () => {
  hub = await startE2eHub();
  registry = Registry.fromConnectionString(hub.connectionString());
});
afterAll(async () => {
  await hub.dispose();
});

async function openDevice(deviceId: string, primaryKey: string): Promise<DeviceClient> {
  const client = DeviceClient.fromConnectionString(`HostName=localhost;DeviceId=${deviceId};SharedAccessKey=${primaryKey}`, Mqtt);
  await client.open();
  return client;
}

describe("Microsoft's azure-iothub Registry against hubemu", () => {
  it('creates a device with generated keys and reads it back', async () => {
    const { responseBody: device } = await registry.create({ deviceId: 'ms-1' });
    expect(device.deviceId).toBe('ms-1');
    expect(device.authentication?.symmetricKey?.primaryKey).toEqual(expect.any(String));
    const { responseBody: read } = await registry.get('ms-1');
    expect(read.etag).toBe(device.etag);
    const { responseBody: list } = await registry.list();
    expect(list.map((d) => d.deviceId)).toContain('ms-1');
  });

  it('raises DeviceAlreadyExistsError for a duplicate and DeviceNotFoundError for an unknown device', async () => {
    await registry.create({ deviceId: 'ms-dup' });
    expect((await rejection(registry.create({ deviceId: 'ms-dup' }))).constructor.name).toBe('DeviceAlreadyExistsError');
    expect((await rejection(registry.get('ms-nobody'))).constructor.name).toBe('DeviceNotFoundError');
  });

  it('updates a device it read, deletes it, and gets statistics', async () => {
    const { responseBody: device } = await registry.create({ deviceId: 'ms-update' });
    const { responseBody: updated } = await registry.update({ ...device, status: 'disabled' });
    expect(updated.status).toBe('disabled');
    const { responseBody: stats } = await registry.getRegistryStatistics();
    expect(stats).toMatchObject({ totalDeviceCount: expect.any(Number), disabledDeviceCount: expect.any(Number) });
    await registry.delete('ms-update');
    expect((await rejection(registry.get('ms-update'))).constructor.name).toBe('DeviceNotFoundError');
  });

  it('runs bulk create and remove', async () => {
    const { responseBody: created } = await registry.addDevices([{ deviceId: 'ms-bulk-1' }, { deviceId: 'ms-bulk-2' }]);
    expect(created).toMatchObject({ isSuccessful: true, errors: [] });
    const { responseBody: removed } = await registry.removeDevices([{ deviceId: 'ms-bulk-1' }, { deviceId: 'ms-bulk-2' }], true);
    expect(removed).toMatchObject({ isSuccessful: true });
  });

  it('adds, reads and removes a module', async () => {
    await registry.create({ deviceId: 'ms-edge' });
    await registry.addModule({ deviceId: 'ms-edge', moduleId: 'filter' });
    const { responseBody: modules } = await registry.getModulesOnDevice('ms-edge');
    expect(modules.map((m) => m.moduleId)).toEqual(['filter']);
    await registry.removeModule('ms-edge', 'filter');
    expect((await registry.getModulesOnDevice('ms-edge')).responseBody).toEqual([]);
  });

  it('gets and updates a twin, and raises InvalidEtagError for a stale etag without changing the twin', async () => {
    await registry.create({ deviceId: 'ms-twin' });
    const { responseBody: twin } = await registry.getTwin('ms-twin');
    const staleEtag = twin.etag;
    const { responseBody: updated } = await registry.updateTwin('ms-twin', { tags: { site: 'oslo' }, properties: { desired: { rate: 5 } } }, staleEtag);
    expect(updated.tags).toEqual({ site: 'oslo' });
    expect(updated.properties.desired.rate).toBe(5);

    const error = await rejection(registry.updateTwin('ms-twin', { properties: { desired: { rate: 9 } } }, staleEtag));
    expect(error.constructor.name).toBe('InvalidEtagError');
    expect(error.response?.statusCode).toBe(412);
    expect((await registry.getTwin('ms-twin')).responseBody.properties.desired.rate).toBe(5);

    // The Twin object's own update uses its etag and keeps working after a refresh.
    const { responseBody: fresh } = await registry.getTwin('ms-twin');
    const { result: again } = await fresh.update({ tags: { floor: 2 } });
    expect(again.tags).toEqual({ site: 'oslo', floor: 2 });
  });
});

describe("Microsoft's azure-iothub twin updates reach Microsoft's device client", () => {
  it('delivers a desired change made with registry.updateTwin to the connected device', async () => {
    const { responseBody: device } = await registry.create({ deviceId: 'ms-desired' });
    const client = await openDevice('ms-desired', device.authentication?.symmetricKey?.primaryKey as string);
    try {
      const twin = await client.getTwin();
      const delivered = new Promise<Record<string, unknown>>((resolve) => {
        twin.on('properties.desired', (delta: Record<string, unknown>) => {
          if (delta.$version === 2) resolve(delta);
        });
      });
      await registry.updateTwin('ms-desired', { properties: { desired: { fan: 'on' } } }, '*');
      expect(await delivered).toMatchObject({ fan: 'on', $version: 2 });
    } finally {
      await client.close();
    }
  });
});

describe("Microsoft's azure-iothub Client.invokeDeviceMethod against hubemu", () => {
  const service = () => ServiceClient.fromConnectionString(hub.connectionString('service'));

  it('round-trips a direct method with a device from azure-iot-device answering', async () => {
    const { responseBody: device } = await registry.create({ deviceId: 'ms-method' });
    const client = await openDevice('ms-method', device.authentication?.symmetricKey?.primaryKey as string);
    try {
      client.onDeviceMethod('reboot', (request, response) => response.send(200, { rebooting: true, delay: (request.payload as { delay: number }).delay }, () => {}));
      const { result } = await service().invokeDeviceMethod('ms-method', { methodName: 'reboot', payload: { delay: 2 }, responseTimeoutInSeconds: 10, connectTimeoutInSeconds: 10 });
      expect(result).toEqual({ status: 200, payload: { rebooting: true, delay: 2 } });
    } finally {
      await client.close();
    }
  });

  it('fails with 404 and 404103 when the device is offline', async () => {
    await registry.create({ deviceId: 'ms-offline' });
    const error = await rejection(service().invokeDeviceMethod('ms-offline', { methodName: 'reboot' }));
    expect(error.response?.statusCode).toBe(404);
    expect(JSON.parse(error.responseBody as string)).toMatchObject({ errorCode: 404103 });
  });

  it('fails with GatewayTimeoutError and 504101 when the device does not answer within responseTimeoutInSeconds', async () => {
    const { responseBody: device } = await registry.create({ deviceId: 'ms-silent' });
    const client = await openDevice('ms-silent', device.authentication?.symmetricKey?.primaryKey as string);
    try {
      client.onDeviceMethod('wait', () => {});
      const error = await rejection(service().invokeDeviceMethod('ms-silent', { methodName: 'wait', responseTimeoutInSeconds: 5, connectTimeoutInSeconds: 10 }));
      expect(error.constructor.name).toBe('GatewayTimeoutError');
      expect(error.response?.statusCode).toBe(504);
      expect(JSON.parse(error.responseBody as string)).toMatchObject({ errorCode: 504101 });
    } finally {
      await client.close();
    }
  });

  it('raises UnauthorizedError for a policy without ServiceConnect', async () => {
    await registry.create({ deviceId: 'ms-denied' });
    const reader = ServiceClient.fromConnectionString(hub.connectionString('registryRead'));
    expect((await rejection(reader.invokeDeviceMethod('ms-denied', { methodName: 'x' }))).constructor.name).toBe('UnauthorizedError');
  });
});
