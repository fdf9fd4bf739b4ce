import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConnectionString, signSasToken } from '@hubemu/shared';
import { startHub, type Hub, type RequestEvent, type TelemetryMessage } from '../../src/index.js';
import { call, errorOf, type RawCall } from '../rest-api/http-helpers.js';

let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
});
afterAll(async () => {
  await hub.stop();
});

/** A device's own SAS token, as azure-iot-device-http signs it. */
function deviceToken(deviceId: string): string {
  const key = parseConnectionString(hub.deviceConnectionString(deviceId)).SharedAccessKey as string;
  return signSasToken(`${hub.hostName}/devices/${encodeURIComponent(deviceId)}`, key, Math.floor(Date.now() / 1000) + 3600);
}

/** A device HTTPS call signed by `as` (the device in the path by default). */
function deviceCall(deviceId: string, input: Omit<RawCall, 'authorization' | 'policy'>, as = deviceId): ReturnType<typeof call> {
  return call(hub, { ...input, authorization: deviceToken(as) });
}

function telemetryOf(deviceId: string): TelemetryMessage[] {
  return hub.telemetry({ deviceId });
}

describe('device telemetry over HTTPS', () => {
  it('answers 204 to a single message and emits it as telemetry, app properties without their prefix and system properties by name', async () => {
    hub.createDevice('h-tel');
    const res = await deviceCall('h-tel', {
      method: 'POST',
      path: '/devices/h-tel/messages/events',
      body: Buffer.from('{"t":21}'),
      headers: {
        'Content-Type': 'application/octet-stream',
        'iothub-to': '/devices/h-tel/messages/events',
        'iothub-app-color': 'red',
        'IoTHub-MessageId': 'm-1',
        'IoTHub-CorrelationId': 'c-1',
        'iothub-contenttype': 'application/json',
        'iothub-contentencoding': 'utf-8',
        'dt-subject': 'thermostat1',
      },
    });
    expect(res.status).toBe(204);
    const [message] = telemetryOf('h-tel');
    expect(message?.body.toString()).toBe('{"t":21}');
    expect(message?.properties).toEqual({ color: 'red' });
    expect(message?.systemProperties).toEqual({ messageId: 'm-1', correlationId: 'c-1', contentType: 'application/json', contentEncoding: 'utf-8', componentName: 'thermostat1' });
    // In the Event Hubs-compatible log, stamped with how the device authenticated.
    const [event] = hub.eventHub.retained().filter((e) => e.deviceId === 'h-tel');
    expect(event?.annotations).toMatchObject({
      'iothub-connection-auth-method': '{"scope":"device","type":"sas","issuer":"iothub","acceptingIpFilterRule":null}',
      'iothub-connection-auth-generation-id': hub.registry.getDevice('h-tel').generationId,
      'dt-subject': 'thermostat1',
    });
  });

  it('splits a batch into one telemetry message per item, decoding base64 bodies, and refuses a batch that is not JSON with 400', async () => {
    hub.createDevice('h-batch');
    const batch = `[{"body":"${Buffer.from('one').toString('base64')}","properties":{"iothub-app-n":"1"}},{"body":"${Buffer.from('two').toString('base64')}"}]`;
    const headers = { 'Content-Type': 'application/vnd.microsoft.iothub.json' };
    expect((await deviceCall('h-batch', { method: 'POST', path: '/devices/h-batch/messages/events', body: batch, headers })).status).toBe(204);
    expect(telemetryOf('h-batch').map((m) => [m.body.toString(), m.properties])).toEqual([
      ['one', { n: '1' }],
      ['two', {}],
    ]);
    const bad = await deviceCall('h-batch', { method: 'POST', path: '/devices/h-batch/messages/events', body: '[{"body":"a"', headers });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).header).toBe('ArgumentInvalid');
  });

  it('lets a device touch only its own messages: another device\'s token is 401', async () => {
    hub.createDevice('h-own');
    hub.createDevice('h-other');
    const res = await deviceCall('h-own', { method: 'POST', path: '/devices/h-own/messages/events', body: 'x' }, 'h-other');
    expect(res.status).toBe(401);
    expect(errorOf(res).header).toBe('IotHubUnauthorized');
    expect((await call(hub, { method: 'GET', path: '/devices/h-own/messages/devicebound', policy: null })).status).toBe(401);
  });
});

describe('C2D over HTTPS', () => {
  it('answers 204 when nothing waits, and 200 with the message, a quoted ETag lock and its properties as headers', async () => {
    hub.createDevice('h-c2d');
    expect((await deviceCall('h-c2d', { method: 'GET', path: '/devices/h-c2d/messages/devicebound' })).status).toBe(204);
    const expiry = new Date(Date.now() + 600_000);
    hub.c2d.send('h-c2d', { body: 'hello', messageId: 'mid', correlationId: 'cid', expiryTimeUtc: expiry, ack: 'full', properties: { color: 'red' } });
    const res = await deviceCall('h-c2d', { method: 'GET', path: '/Devices/h-c2d/messages/deviceBound' });
    expect(res.status).toBe(200);
    expect(res.text).toBe('hello');
    expect(res.headers.etag).toMatch(/^"[0-9a-f-]{36}"$/);
    expect(res.headers).toMatchObject({
      'iothub-messageid': 'mid',
      'iothub-correlationid': 'cid',
      'iothub-to': '/devices/h-c2d/messages/devicebound',
      'iothub-expiry': expiry.toISOString(),
      'iothub-ack': 'full',
      'iothub-sequencenumber': '1',
      'iothub-deliverycount': '0',
      'iothub-app-color': 'red',
    });
    // Locked: a second poll finds nothing.
    expect((await deviceCall('h-c2d', { method: 'GET', path: '/devices/h-c2d/messages/devicebound' })).status).toBe(204);
    const lock = (res.headers.etag as string).slice(1, -1);
    const done = await deviceCall('h-c2d', { method: 'DELETE', path: `/devices/h-c2d/messages/devicebound/${lock}?api-version=2021-04-12`, headers: { 'If-Match': lock } });
    expect(done.status).toBe(204);
    expect(hub.c2d.pending('h-c2d')).toEqual([]);
    const again = await deviceCall('h-c2d', { method: 'DELETE', path: `/devices/h-c2d/messages/devicebound/${lock}?api-version=2021-04-12` });
    expect(again.status).toBe(412);
    expect(errorOf(again)).toMatchObject({ name: 'DeviceMessageLockLost', header: 'DeviceMessageLockLost' });
  });

  it('abandons a message back to the queue with its delivery count one higher, and rejects it with ?reject', async () => {
    hub.createDevice('h-settle');
    hub.c2d.send('h-settle', { body: 'x' });
    const first = await deviceCall('h-settle', { method: 'GET', path: '/devices/h-settle/messages/devicebound' });
    const lock = (first.headers.etag as string).slice(1, -1);
    expect((await deviceCall('h-settle', { method: 'POST', path: `/devices/h-settle/messages/devicebound/${lock}/abandon?api-version=2021-04-12` })).status).toBe(204);
    const second = await deviceCall('h-settle', { method: 'GET', path: '/devices/h-settle/messages/devicebound' });
    expect(second.headers['iothub-deliverycount']).toBe('1');
    const lock2 = (second.headers.etag as string).slice(1, -1);
    expect((await deviceCall('h-settle', { method: 'DELETE', path: `/devices/h-settle/messages/devicebound/${lock2}?api-version=2021-04-12&reject` })).status).toBe(204);
    expect(hub.c2d.pending('h-settle')).toEqual([]);
  });

  it('records device HTTPS calls as request events of the http plane, with the device as principal', async () => {
    hub.createDevice('h-events');
    const seen: RequestEvent[] = [];
    const onRequest = (e: RequestEvent): void => void (e.deviceId === 'h-events' && seen.push(e));
    hub.events.on('request', onRequest);
    await deviceCall('h-events', { method: 'GET', path: '/devices/h-events/messages/devicebound' });
    await expect.poll(() => seen.length).toBe(1);
    hub.events.off('request', onRequest);
    expect(seen[0]).toMatchObject({ plane: 'http', operation: 'GET /devices/:deviceId/messages/devicebound', principal: 'h-events', status: 204 });
  });
});

describe('C2D purge over REST', () => {
  it('purges a device queue with 200 {totalMessagesPurged, deviceId}, 404 for an unknown device, and needs ServiceConnect', async () => {
    hub.createDevice('h-purge');
    hub.c2d.send('h-purge', { body: 'a' });
    hub.c2d.send('h-purge', { body: 'b' });
    const res = await call(hub, { method: 'DELETE', path: '/devices/h-purge/commands' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ totalMessagesPurged: 2, deviceId: 'h-purge' });
    expect(hub.c2d.pending('h-purge')).toEqual([]);
    const missing = await call(hub, { method: 'DELETE', path: '/devices/ghost/commands' });
    expect(missing.status).toBe(404);
    expect(errorOf(missing).header).toBe('DeviceNotFound');
    const denied = await call(hub, { method: 'DELETE', path: '/devices/h-purge/commands', policy: 'registryRead' });
    expect(denied.status).toBe(401);
    expect(errorOf(denied).header).toBe('IotHubUnauthorizedAccess');
  });
});
