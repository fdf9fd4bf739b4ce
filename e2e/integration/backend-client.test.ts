import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'azure-iot-device';
import { Mqtt } from 'azure-iot-device-mqtt';
import { startHub, type Hub } from '@hubemu/hub-emulator';
import { ServiceClient, parseServiceConnectionString } from '@hubemu/backend';
import { failure } from './service-failure.js';

let hub: Hub;
let client: ServiceClient;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, httpPort: 0 });
  client = ServiceClient.fromConnectionString(hub.connectionString(), { ca: hub.caPem });
});
afterAll(async () => {
  client.close();
  await hub.stop();
});

async function openDevice(deviceId: string): Promise<Client> {
  const device = Client.fromConnectionString(hub.deviceConnectionString(deviceId), Mqtt);
  await device.setOptions({ ca: hub.caPem } as never);
  await device.open();
  return device;
}

describe('ServiceClient devices', () => {
  it('creates a device with generated keys, reads, lists, updates by etag and deletes it', async () => {
    const created = await client.devices.create('sc-1');
    expect(created.authentication.symmetricKey.primaryKey).toEqual(expect.any(String));
    expect((await client.devices.get('sc-1')).etag).toBe(created.etag);
    expect((await client.devices.list()).map((d) => d.deviceId)).toContain('sc-1');
    expect(await client.devices.list({ top: 1 })).toHaveLength(1);

    const disabled = await client.devices.update('sc-1', { status: 'disabled' }, { etag: created.etag });
    expect(disabled.status).toBe('disabled');
    const stale = await failure(client.devices.update('sc-1', { status: 'enabled' }, { etag: created.etag }));
    expect(stale).toMatchObject({ status: 412, errorCode: 'PreconditionFailed', code: 412001, trackingId: expect.any(String) });

    await client.devices.delete('sc-1', { etag: disabled.etag });
    expect(await failure(client.devices.get('sc-1'))).toMatchObject({ status: 404, errorCode: 'DeviceNotFound', code: 404001, message: 'sc-1' });
  });

  it('raises ServiceError DeviceAlreadyExists (409) for a duplicate', async () => {
    await client.devices.create('sc-dup');
    expect(await failure(client.devices.create('sc-dup'))).toMatchObject({ status: 409, errorCode: 'DeviceAlreadyExists', code: 409001 });
  });

  it('runs bulk operations and reports per-item errors', async () => {
    await client.devices.create('sc-bulk-existing');
    const result = await client.devices.bulk([
      { id: 'sc-bulk-1', importMode: 'create' },
      { id: 'sc-bulk-existing', importMode: 'create' },
    ]);
    expect(result).toMatchObject({ isSuccessful: false, errors: [{ deviceId: 'sc-bulk-existing', errorCode: 409001 }] });
    const stats = await client.devices.statistics();
    expect(stats.totalDeviceCount).toBeGreaterThanOrEqual(3);
    expect(stats.enabledDeviceCount + stats.disabledDeviceCount).toBe(stats.totalDeviceCount);
  });
});

describe('ServiceClient modules', () => {
  it('creates, lists, updates and deletes a module', async () => {
    await client.devices.create('sc-edge');
    const module = await client.modules.create('sc-edge', 'filter');
    expect(module).toMatchObject({ deviceId: 'sc-edge', moduleId: 'filter' });
    expect(await failure(client.modules.create('sc-edge', 'filter'))).toMatchObject({ status: 409, errorCode: 'ModuleAlreadyExistsOnDevice' });
    expect((await client.modules.update('sc-edge', 'filter', { managedBy: 'iotedge' }, { etag: module.etag })).managedBy).toBe('iotedge');
    expect((await client.modules.list('sc-edge')).map((m) => m.moduleId)).toEqual(['filter']);
    await client.modules.delete('sc-edge', 'filter');
    expect(await failure(client.modules.get('sc-edge', 'filter'))).toMatchObject({ status: 404, errorCode: 'ModuleNotFound' });
  });
});

describe('ServiceClient twins', () => {
  it('patches with the current etag, refuses a stale one with 412 and leaves the twin unchanged', async () => {
    await client.devices.create('sc-twin');
    const twin = await client.twins.get('sc-twin');
    const patched = await client.twins.patch('sc-twin', { tags: { site: 'a' }, properties: { desired: { rate: 5 } } }, { etag: twin.etag });
    expect(patched.properties.desired.rate).toBe(5);
    const stale = await failure(client.twins.patch('sc-twin', { properties: { desired: { rate: 9 } } }, { etag: twin.etag }));
    expect(stale).toMatchObject({ status: 412, errorCode: 'PreconditionFailed' });
    expect((await client.twins.get('sc-twin')).properties.desired.rate).toBe(5);
  });

  it('replaces tags and desired properties, for devices and modules', async () => {
    await client.devices.create('sc-replace');
    await client.twins.patch('sc-replace', { tags: { a: 1, b: 2 } });
    expect((await client.twins.replace('sc-replace', { tags: { c: 3 } })).tags).toEqual({ c: 3 });
    await client.modules.create('sc-replace', 'm');
    const moduleTwin = await client.twins.patch('sc-replace', { properties: { desired: { x: 1 } } }, { moduleId: 'm' });
    expect(moduleTwin).toMatchObject({ deviceId: 'sc-replace', moduleId: 'm' });
    expect((await client.twins.get('sc-replace', { moduleId: 'm' })).properties.desired.x).toBe(1);
  });
});

describe('ServiceClient methods', () => {
  it('invokes a method on a connected device and returns its status and payload', async () => {
    await client.devices.create('sc-method');
    const device = await openDevice('sc-method');
    try {
      device.onDeviceMethod('blink', (request, response) => response.send(200, { times: (request.payload as { n: number }).n }, () => {}));
      const result = await client.methods.invoke('sc-method', { methodName: 'blink', payload: { n: 3 }, connectTimeoutInSeconds: 10 });
      expect(result).toEqual({ status: 200, payload: { times: 3 } });
    } finally {
      await device.close();
    }
  });

  it('raises DeviceNotOnline (404103) for an offline device and GatewayTimeout (504101) for a silent one', async () => {
    await client.devices.create('sc-offline');
    expect(await failure(client.methods.invoke('sc-offline', { methodName: 'x' }))).toMatchObject({ status: 404, errorCode: 'DeviceNotOnline', code: 404103 });
    await client.devices.create('sc-silent');
    const device = await openDevice('sc-silent');
    try {
      device.onDeviceMethod('wait', () => {});
      const error = await failure(client.methods.invoke('sc-silent', { methodName: 'wait', responseTimeoutInSeconds: 5, connectTimeoutInSeconds: 10 }));
      expect(error).toMatchObject({ status: 504, errorCode: 'GatewayTimeout', code: 504101 });
    } finally {
      await device.close();
    }
  });
});

describe('ServiceClient query', () => {
  it('pages through a query with x-ms-continuation and reports the item type', async () => {
    for (const n of [1, 2, 3, 4, 5]) await client.devices.create(`sc-q-${n}`);
    await client.twins.patch('sc-q-3', { tags: { pick: true } });
    const pages = [];
    for await (const page of client.query.pages<{ deviceId: string }>("SELECT * FROM devices WHERE STARTSWITH(deviceId, 'sc-q-')", { pageSize: 2 })) pages.push(page);
    expect(pages.map((p) => p.items.length)).toEqual([2, 2, 1]);
    expect(pages[0]?.itemType).toBe('twin');
    expect(pages.flatMap((p) => p.items.map((t) => t.deviceId)).sort()).toEqual(['sc-q-1', 'sc-q-2', 'sc-q-3', 'sc-q-4', 'sc-q-5']);
    expect(await client.query.all("SELECT deviceId FROM devices WHERE tags.pick = true")).toEqual([{ deviceId: 'sc-q-3' }]);
  });

  it('raises ServiceError for a query the hub refuses', async () => {
    expect(await failure(client.query.all('SELEKT * FROM devices'))).toMatchObject({ status: 400 });
  });
});

describe('ServiceClient connection', () => {
  it('speaks plain HTTP to the hub when asked', async () => {
    const cs = hub.connectionString().replace(`:${hub.ports.https}`, `:${hub.ports.http ?? 0}`);
    const plain = ServiceClient.fromConnectionString(cs, { protocol: 'http' });
    try {
      await plain.devices.create('sc-plain');
      expect((await plain.devices.get('sc-plain')).deviceId).toBe('sc-plain');
    } finally {
      plain.close();
    }
  });

  it('raises ServiceError Unauthorized-class errors for a policy without the permission', async () => {
    const reader = ServiceClient.fromConnectionString(hub.connectionString('registryRead'), { ca: hub.caPem });
    try {
      expect(await failure(reader.devices.create('sc-denied'))).toMatchObject({ status: 401, errorCode: 'IotHubUnauthorizedAccess' });
    } finally {
      reader.close();
    }
  });

  it('fails with ConnectionFailed when the hub certificate is not trusted', async () => {
    const untrusting = ServiceClient.fromConnectionString(hub.connectionString());
    try {
      expect(await failure(untrusting.devices.list())).toMatchObject({ status: 0, errorCode: 'ConnectionFailed' });
    } finally {
      untrusting.close();
    }
  });

  it('refuses a device connection string or a malformed one', () => {
    expect(() => parseServiceConnectionString(hub.deviceConnectionString('sc-twin'))).toThrow(/device connection string/);
    expect(() => parseServiceConnectionString('HostName=x;SharedAccessKeyName=y')).toThrow(/SharedAccessKey/);
    expect(() => parseServiceConnectionString('nonsense')).toThrow(/Not a connection string/);
  });
});
