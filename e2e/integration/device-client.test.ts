import { startHub, type Hub } from '@hubemu/hub-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type C2dDelivery, type DesiredChange, DeviceClient, isDeviceClientError } from '@hubemu/device-agent';

let hub: Hub;
const clients: DeviceClient[] = [];

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await hub.stop();
});

function clientFor(deviceId: string, extra: Record<string, unknown> = {}): DeviceClient {
  const { connectionString } = hub.createDevice(deviceId, extra.desired ? { desired: extra.desired as never } : {});
  const client = new DeviceClient({ connectionString, ca: hub.caPem });
  clients.push(client);
  return client;
}

describe('DeviceClient against a real hub (MQTT over TLS)', () => {
  it('connects with a device connection string and trusts the hub CA', async () => {
    const client = clientFor('int-connect');
    await client.open();
    expect(client.isConnected).toBe(true);
    await expect.poll(() => hub.connectedDevices()).toContain('int-connect');
  });

  it('refuses a wrong key with Unauthorized', async () => {
    hub.createDevice('int-badkey');
    const client = new DeviceClient({ hostName: hub.hostName, port: hub.ports.mqtt, deviceId: 'int-badkey', sharedAccessKey: Buffer.from('wrong').toString('base64'), ca: hub.caPem });
    const error = await client.open().catch((e: unknown) => e);
    expect(isDeviceClientError(error, 'Unauthorized')).toBe(true);
  });

  it('gets the twin with desired set by the back end', async () => {
    const client = clientFor('int-get', { desired: { fanSpeed: 2 } });
    await client.open();
    const twin = await client.getTwin();
    expect(twin.desired).toMatchObject({ fanSpeed: 2 });
    expect(typeof twin.desired.$version).toBe('number');
    expect(twin.reported.$version).toBe(1);
  });

  it('patches reported properties and gets the new $version back', async () => {
    const client = clientFor('int-patch');
    await client.open();
    const first = await client.updateReported({ temperature: 21.5, nested: { a: 1 } });
    const second = await client.updateReported({ nested: { a: null, b: 2 } });
    expect(second.version).toBe(first.version + 1);
    expect(hub.getTwin('int-patch').properties.reported).toMatchObject({ temperature: 21.5, nested: { b: 2 } });
    expect(hub.getTwin('int-patch').properties.reported.nested).not.toHaveProperty('a');
  });

  it('rejects a patch the hub refuses with the hub error code', async () => {
    const client = clientFor('int-badpatch');
    await client.open();
    const error = await client.updateReported({ 'bad.key': 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'HubError', status: 400 });
    expect((error as { errorCode?: number }).errorCode).toBe(400004);
  });

  it('receives a desired notification when the back end patches the twin', async () => {
    const client = clientFor('int-desired');
    await client.open();
    const patch = new Promise((resolve) => void client.onDesired(resolve));
    await expect.poll(() => hub.subscriptions('int-desired')).toContain('$iothub/twin/PATCH/properties/desired/#');
    const updated = hub.updateTwin('int-desired', { properties: { desired: { mode: 'eco' } } });
    expect(await patch).toEqual({ mode: 'eco', $version: updated.properties.desired.$version });
  });

  it('keeps a synced twin that follows desired changes and survives a dropped connection', async () => {
    const client = new DeviceClient({ connectionString: hub.createDevice('int-twin').connectionString, ca: hub.caPem, reconnect: { initialDelayMs: 50 } });
    clients.push(client);
    await client.open();
    const twin = await client.twin();
    const changes: DesiredChange[] = [];
    twin.on('desired', (c) => changes.push(c));
    hub.updateTwin('int-twin', { properties: { desired: { a: 1 } } });
    await expect.poll(() => twin.desired).toEqual({ a: 1 });
    const reconnected = new Promise((resolve) => client.once('connect', resolve));
    // The change is made while the device is offline (before the 50 ms reconnect delay ends): no notification.
    client.once('disconnect', () => hub.updateTwin('int-twin', { properties: { desired: { b: 2 } } }));
    hub.disconnectDevice('int-twin');
    await reconnected;
    await expect.poll(() => twin.desired).toEqual({ a: 1, b: 2 });
    expect(changes.map((c) => c.source)).toEqual(['patch', 'sync']);
  });

  it('answers a direct method invoked through the hub', async () => {
    const client = clientFor('int-method');
    await client.open();
    await client.onMethod('getTemp', (payload) => ({ status: 200, payload: { temp: 21, asked: payload } }));
    const result = await hub.invokeMethod('int-method', { methodName: 'getTemp', payload: { unit: 'C' }, responseTimeoutInSeconds: 5 });
    expect(result).toEqual({ status: 200, payload: { temp: 21, asked: { unit: 'C' } } });
  });

  it('receives cloud-to-device messages with their properties, and its PUBACK completes each at the hub', async () => {
    const client = clientFor('int-c2d');
    await client.open();
    const received: C2dDelivery[] = [];
    await client.onC2d((message) => received.push(message));
    hub.c2d.send('int-c2d', { body: 'reboot', messageId: 'm-1', correlationId: 'c-1', ack: 'full', properties: { reason: 'a b&c=d' } });
    await expect.poll(() => received.length).toBe(1);
    expect(received[0]).toMatchObject({ messageId: 'm-1', correlationId: 'c-1', ack: 'full', to: '/devices/int-c2d/messages/devicebound', properties: { reason: 'a b&c=d' } });
    expect(received[0]?.body.toString()).toBe('reboot');
    await expect.poll(() => hub.c2d.pending('int-c2d').length).toBe(0);
    expect(client.traffic.c2dMessages).toBe(1);
  });

  it('sends telemetry the hub records', async () => {
    const client = clientFor('int-telemetry');
    await client.open();
    await client.sendTelemetry({ temperature: 19 }, { source: 'test' });
    await expect.poll(() => hub.telemetry({ deviceId: 'int-telemetry' }).length).toBe(1);
    const [message] = hub.telemetry({ deviceId: 'int-telemetry' });
    expect(JSON.parse(message?.body.toString() ?? '')).toEqual({ temperature: 19 });
    expect(message?.properties).toMatchObject({ source: 'test' });
    expect(message?.systemProperties).toMatchObject({ contentType: 'application/json', contentEncoding: 'utf-8' });
  });

  it('connects a module identity', async () => {
    hub.createDevice('int-mod-parent');
    hub.registry.putModule('int-mod-parent', 'm1', {});
    const client = new DeviceClient({ connectionString: hub.deviceConnectionString('int-mod-parent', { moduleId: 'm1' }), ca: hub.caPem });
    clients.push(client);
    await client.open();
    await client.updateReported({ module: true });
    expect(hub.getTwin('int-mod-parent', 'm1').properties.reported).toMatchObject({ module: true });
  });

  it('connects over MQTT over WebSockets on the HTTPS port', async () => {
    hub.createDevice('int-wss');
    const client = new DeviceClient({ connectionString: hub.deviceConnectionString('int-wss', { transport: 'ws' }), transport: 'wss', ca: hub.caPem });
    clients.push(client);
    await client.open();
    expect((await client.getTwin()).reported.$version).toBe(1);
  });
});
