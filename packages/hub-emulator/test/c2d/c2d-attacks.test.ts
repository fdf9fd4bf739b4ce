import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConnectionString, signSasToken, topics } from '@hubemu/shared';
import { startHub, type Hub } from '../../src/index.js';
import { closed, connectRaw } from '../raw-device.js';
import { call, errorOf, policyToken, type RawCall, type RawResponse } from '../rest-api/http-helpers.js';

// The device-facing edges of C2D and device HTTPS, attacked: bad input gets IoT Hub's own error code and
// status, never crashes the hub, never drops another device, never corrupts a queue or loses a message.

let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
});
afterAll(async () => {
  await hub.stop();
});

function deviceToken(deviceId: string, options: { expiry?: number; moduleId?: string } = {}): string {
  const key = parseConnectionString(hub.deviceConnectionString(deviceId, options.moduleId ? { moduleId: options.moduleId } : {})).SharedAccessKey as string;
  // As Node's SDK builds it: the ids raw, the whole `sr` URL-encoded once (by signSasToken).
  const sr = `${hub.hostName}/devices/${deviceId}${options.moduleId ? `/modules/${options.moduleId}` : ''}`;
  return signSasToken(sr, key, options.expiry ?? Math.floor(Date.now() / 1000) + 3600);
}

function deviceCall(deviceId: string, input: Omit<RawCall, 'authorization' | 'policy'>): Promise<RawResponse> {
  return call(hub, { ...input, authorization: deviceToken(deviceId) });
}

const path = (deviceId: string, rest: string): string => `/devices/${encodeURIComponent(deviceId)}/messages/${rest}`;

/** Receives over HTTPS and returns the lock token (the ETag without its quotes). */
async function receive(deviceId: string): Promise<string> {
  const res = await deviceCall(deviceId, { method: 'GET', path: path(deviceId, 'devicebound') });
  expect(res.status).toBe(200);
  return (res.headers.etag as string).slice(1, -1);
}

function settle(deviceId: string, lock: string, how: 'complete' | 'reject' | 'abandon'): Promise<RawResponse> {
  const encoded = encodeURIComponent(lock);
  if (how === 'abandon') return deviceCall(deviceId, { method: 'POST', path: path(deviceId, `devicebound/${encoded}/abandon?api-version=2021-04-12`) });
  return deviceCall(deviceId, { method: 'DELETE', path: path(deviceId, `devicebound/${encoded}?api-version=2021-04-12${how === 'reject' ? '&reject' : ''}`) });
}

function expectError(res: RawResponse, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(errorOf(res)).toMatchObject({ name: code, header: code });
}

/** A raw request with header values as bytes (Node's client refuses non-ASCII header strings). */
function rawBytesCall(deviceId: string, headerName: string, value: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: 'localhost', port: hub.ports.https, method: 'POST', path: `${path(deviceId, 'events')}?api-version=2021-04-12`, ca: hub.caPem, headers: { Authorization: deviceToken(deviceId), 'Content-Length': 1 } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    // Node's client checks header strings: write the value as latin1 so each byte goes out as is.
    req.setHeader(headerName, value.toString('latin1'));
    req.end('x');
  });
}

describe('device HTTPS telemetry refuses bad input with IoT Hub errors', () => {
  it('refuses a body over 256 KB with 413 MessageTooLarge and emits nothing', async () => {
    hub.createDevice('a-big');
    const res = await deviceCall('a-big', { method: 'POST', path: path('a-big', 'events'), body: Buffer.alloc(256 * 1024 + 1, 0x61), headers: { 'Content-Type': 'application/octet-stream' } });
    expectError(res, 413, 'MessageTooLarge');
    expect(hub.telemetry({ deviceId: 'a-big' })).toEqual([]);
    // Exactly 256 KB passes.
    const ok = await deviceCall('a-big', { method: 'POST', path: path('a-big', 'events'), body: Buffer.alloc(256 * 1024, 0x61), headers: { 'Content-Type': 'application/octet-stream' } });
    expect(ok.status).toBe(204);
  });

  it('counts application properties toward the 256 KB: a body just under the limit with large iothub-app headers is 413', async () => {
    hub.createDevice('a-bigprops');
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' };
    for (let i = 0; i < 8; i++) headers[`iothub-app-p${i}`] = 'v'.repeat(1000);
    const res = await deviceCall('a-bigprops', { method: 'POST', path: path('a-bigprops', 'events'), body: Buffer.alloc(256 * 1024 - 100, 0x61), headers });
    expectError(res, 413, 'MessageTooLarge');
    expect(hub.telemetry({ deviceId: 'a-bigprops' })).toEqual([]);
  });

  it('refuses headers too large for the server without harming the hub', async () => {
    hub.createDevice('a-hugeheaders');
    const headers: Record<string, string> = {};
    for (let i = 0; i < 40; i++) headers[`iothub-app-p${i}`] = 'v'.repeat(1000);
    const res = await deviceCall('a-hugeheaders', { method: 'POST', path: path('a-hugeheaders', 'events'), body: 'x', headers });
    expect(res.status).toBe(431);
    expect(hub.telemetry({ deviceId: 'a-hugeheaders' })).toEqual([]);
    expect((await deviceCall('a-hugeheaders', { method: 'POST', path: path('a-hugeheaders', 'events'), body: 'x' })).status).toBe(204);
  });

  it('keeps header values that are not UTF-8 as the bytes the device sent (no crash, one message)', async () => {
    hub.createDevice('a-latin1');
    const status = await rawBytesCall('a-latin1', 'iothub-app-name', Buffer.from([0x63, 0xe9, 0xff, 0x80]));
    expect(status).toBe(204);
    expect(hub.telemetry({ deviceId: 'a-latin1' })).toHaveLength(1);
  });

  it('refuses a batch that is unterminated, not an array, or has non-string bodies or properties with 400 ArgumentInvalid, emitting nothing', async () => {
    hub.createDevice('a-batch');
    const headers = { 'Content-Type': 'application/vnd.microsoft.iothub.json' };
    const bad = [
      '[{"body":"YQ=="}',
      '{"body":"YQ=="}',
      '[{"body":1}]',
      '[{"body":null}]',
      '[{}]',
      '[{"body":"YQ==","properties":{"iothub-app-a":1}}]',
      '[{"body":"YQ==","base64Encoded":"no"}]',
      '[1]',
      'null',
      '',
    ];
    for (const body of bad) {
      const res = await deviceCall('a-batch', { method: 'POST', path: path('a-batch', 'events'), body, headers });
      expect([body, res.status, errorOf(res).header]).toEqual([body, 400, 'ArgumentInvalid']);
    }
    expect(hub.telemetry({ deviceId: 'a-batch' })).toEqual([]);
  });

  it('refuses a batch item whose body is not base64 with 400 ArgumentInvalid, and takes it as text with base64Encoded:false', async () => {
    hub.createDevice('a-b64');
    const headers = { 'Content-Type': 'application/vnd.microsoft.iothub.json' };
    const bad = await deviceCall('a-b64', { method: 'POST', path: path('a-b64', 'events'), body: '[{"body":"YQ=="},{"body":"not base64!"}]', headers });
    expectError(bad, 400, 'ArgumentInvalid');
    expect(hub.telemetry({ deviceId: 'a-b64' })).toEqual([]);
    const text = await deviceCall('a-b64', { method: 'POST', path: path('a-b64', 'events'), body: '[{"body":"not base64!","base64Encoded":false}]', headers });
    expect(text.status).toBe(204);
    expect(hub.telemetry({ deviceId: 'a-b64' }).map((m) => m.body.toString())).toEqual(['not base64!']);
  });

  it('refuses an empty batch with 400 ArgumentInvalid', async () => {
    hub.createDevice('a-empty');
    const res = await deviceCall('a-empty', { method: 'POST', path: path('a-empty', 'events'), body: '[]', headers: { 'Content-Type': 'application/vnd.microsoft.iothub.json' } });
    expectError(res, 400, 'ArgumentInvalid');
  });
});

describe('device HTTPS authentication', () => {
  it('refuses an expired device token with 401 IotHubUnauthorized', async () => {
    hub.createDevice('a-expired');
    const res = await call(hub, { method: 'GET', path: path('a-expired', 'devicebound'), authorization: deviceToken('a-expired', { expiry: Math.floor(Date.now() / 1000) - 10 }) });
    expectError(res, 401, 'IotHubUnauthorized');
  });

  it("refuses a module's token on its device's routes with 401", async () => {
    hub.createDevice('a-mod');
    hub.registry.putModule('a-mod', 'm1', {});
    const res = await call(hub, { method: 'POST', path: path('a-mod', 'events'), body: 'x', authorization: deviceToken('a-mod', { moduleId: 'm1' }) });
    expectError(res, 401, 'IotHubUnauthorized');
  });

  it('refuses a service policy token without DeviceConnect, and accepts one with it (it may act for any device, stamped scope hub)', async () => {
    hub.createDevice('a-policy');
    const service = await call(hub, { method: 'POST', path: path('a-policy', 'events'), body: 'x', authorization: policyToken(hub, 'service', { host: hub.hostName }) });
    expectError(service, 401, 'IotHubUnauthorized');
    const device = await call(hub, { method: 'POST', path: path('a-policy', 'events'), body: 'x', authorization: policyToken(hub, 'device', { host: hub.hostName }) });
    expect(device.status).toBe(204);
    const [event] = hub.eventHub.retained().filter((e) => e.deviceId === 'a-policy');
    expect(event?.annotations['iothub-connection-auth-method']).toContain('"scope":"hub"');
  });

  it('answers 404 DeviceNotFound-free 401 for an unknown device, and 400 for a malformed %-escape in the id', async () => {
    const unknown = await call(hub, { method: 'GET', path: path('a-nobody', 'devicebound'), policy: null, authorization: policyToken(hub, 'device', { host: hub.hostName }) });
    expect(unknown.status).toBe(401);
    const malformed = await call(hub, { method: 'GET', path: '/devices/%ZZ/messages/devicebound', authorization: deviceToken('a-policy') });
    expectError(malformed, 400, 'ArgumentInvalid');
  });

  it('serves devices whose ids hold + # % through percent-encoded paths, each its own queue; a unicode id (never registrable) is 401', async () => {
    const unicode = await call(hub, { method: 'GET', path: path('ünï', 'devicebound'), authorization: policyToken(hub, 'device', { host: hub.hostName }) });
    expectError(unicode, 401, 'IotHubUnauthorized');
    const ids = ['a+b', 'a#b', 'a%b', 'a%2Fb'];
    for (const id of ids) hub.createDevice(id);
    for (const id of ids) hub.c2d.send(id, { body: `for ${id}` });
    for (const id of ids) {
      const res = await deviceCall(id, { method: 'GET', path: path(id, 'devicebound') });
      expect([id, res.status, res.text]).toEqual([id, 200, `for ${id}`]);
      const lock = (res.headers.etag as string).slice(1, -1);
      expect((await settle(id, lock, 'complete')).status).toBe(204);
      expect(hub.c2d.pending(id)).toEqual([]);
    }
  });
});

describe('C2D lock tokens over HTTPS', () => {
  it('refuses malformed and unknown lock tokens with 412 DeviceMessageLockLost, leaving the locked message locked', async () => {
    hub.createDevice('a-lock');
    hub.c2d.send('a-lock', { body: 'x' });
    const lock = await receive('a-lock');
    for (const token of ['nope', 'x'.repeat(2000), `${lock}x`, ' ', '"'+lock+'"']) {
      for (const how of ['complete', 'reject', 'abandon'] as const) expectError(await settle('a-lock', token, how), 412, 'DeviceMessageLockLost');
    }
    expect(hub.c2d.pending('a-lock')).toHaveLength(1);
    expect(hub.c2d.pending('a-lock')[0]?.lockedUntilMs).toBeGreaterThan(0);
    expect((await settle('a-lock', lock, 'complete')).status).toBe(204);
  });

  it("refuses another device's lock token with 412 and leaves both queues as they were", async () => {
    hub.createDevice('a-mine');
    hub.createDevice('a-theirs');
    hub.c2d.send('a-mine', { body: 'mine' });
    hub.c2d.send('a-theirs', { body: 'theirs' });
    const theirs = await receive('a-theirs');
    await receive('a-mine');
    for (const how of ['complete', 'reject', 'abandon'] as const) expectError(await settle('a-mine', theirs, how), 412, 'DeviceMessageLockLost');
    expect(hub.c2d.pending('a-theirs')).toHaveLength(1);
    expect(hub.c2d.pending('a-mine')).toHaveLength(1);
    expect((await settle('a-theirs', theirs, 'complete')).status).toBe(204);
  });

  it('refuses settling twice (complete then reject, reject then abandon) with 412', async () => {
    hub.createDevice('a-twice');
    hub.c2d.send('a-twice', { body: 'a' });
    hub.c2d.send('a-twice', { body: 'b' });
    const first = await receive('a-twice');
    expect((await settle('a-twice', first, 'complete')).status).toBe(204);
    expectError(await settle('a-twice', first, 'reject'), 412, 'DeviceMessageLockLost');
    const second = await receive('a-twice');
    expect((await settle('a-twice', second, 'reject')).status).toBe(204);
    expectError(await settle('a-twice', second, 'abandon'), 412, 'DeviceMessageLockLost');
    expect(hub.c2d.pending('a-twice')).toEqual([]);
  });

  it("refuses an abandoned message's old lock once it is locked again", async () => {
    hub.createDevice('a-reuse');
    hub.c2d.send('a-reuse', { body: 'x' });
    const first = await receive('a-reuse');
    expect((await settle('a-reuse', first, 'abandon')).status).toBe(204);
    const second = await receive('a-reuse');
    expectError(await settle('a-reuse', first, 'complete'), 412, 'DeviceMessageLockLost');
    expect((await settle('a-reuse', second, 'complete')).status).toBe(204);
  });

  it('refuses the lock of a purged message with 412, also after new messages arrived', async () => {
    hub.createDevice('a-purged');
    hub.c2d.send('a-purged', { body: 'old' });
    const lock = await receive('a-purged');
    const purge = await call(hub, { method: 'DELETE', path: '/devices/a-purged/commands' });
    expect(purge.json).toEqual({ totalMessagesPurged: 1, deviceId: 'a-purged' });
    expectError(await settle('a-purged', lock, 'complete'), 412, 'DeviceMessageLockLost');
    hub.c2d.send('a-purged', { body: 'new' });
    expectError(await settle('a-purged', lock, 'abandon'), 412, 'DeviceMessageLockLost');
    expect(hub.c2d.pending('a-purged').map((m) => m.body.toString())).toEqual(['new']);
  });

  it('lets concurrent receivers each lock a different message, never the same one twice', async () => {
    hub.createDevice('a-race');
    for (let i = 0; i < 10; i++) hub.c2d.send('a-race', { body: `m${i}` });
    const results = await Promise.all(Array.from({ length: 12 }, () => deviceCall('a-race', { method: 'GET', path: path('a-race', 'devicebound') })));
    const bodies = results.filter((r) => r.status === 200).map((r) => r.text);
    expect(bodies.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`).sort());
    expect(results.filter((r) => r.status === 204)).toHaveLength(2);
    const locks = new Set(results.filter((r) => r.status === 200).map((r) => r.headers.etag));
    expect(locks.size).toBe(10);
  });

  it('refuses the 51st pending message with 403004 DeviceMaximumQueueDepthExceeded and keeps the 50', async () => {
    hub.createDevice('a-full');
    for (let i = 0; i < 50; i++) hub.c2d.send('a-full', { body: `m${i}` });
    expect(() => hub.c2d.send('a-full', { body: 'one too many' })).toThrow(expect.objectContaining({ errorCode: 'DeviceMaximumQueueDepthExceeded', status: 403 }));
    expect(hub.c2d.pending('a-full')).toHaveLength(50);
    // A locked message still counts; completing one makes room for one.
    const lock = await receive('a-full');
    expect(() => hub.c2d.send('a-full', { body: 'still full' })).toThrow(expect.objectContaining({ errorCode: 'DeviceMaximumQueueDepthExceeded' }));
    expect((await settle('a-full', lock, 'complete')).status).toBe(204);
    hub.c2d.send('a-full', { body: 'fits' });
    expect(hub.c2d.pending('a-full')).toHaveLength(50);
  });
});

describe('C2D across device deletion', () => {
  it('does not bring the old queue back to a device deleted and created again with the same id, and refuses its old locks', async () => {
    hub.createDevice('a-reborn');
    hub.c2d.send('a-reborn', { body: 'first life', messageId: 'old' });
    hub.c2d.send('a-reborn', { body: 'first life 2' });
    const lock = await receive('a-reborn');
    const generation = hub.registry.getDevice('a-reborn').generationId;
    hub.registry.deleteDevice('a-reborn');
    expect(() => hub.c2d.pending('a-reborn')).toThrow(expect.objectContaining({ errorCode: 'DeviceNotFound' }));
    hub.createDevice('a-reborn');
    expect(hub.registry.getDevice('a-reborn').generationId).not.toBe(generation);
    expect(hub.c2d.pending('a-reborn')).toEqual([]);
    expectError(await settle('a-reborn', lock, 'complete'), 412, 'DeviceMessageLockLost');
    expect((await deviceCall('a-reborn', { method: 'GET', path: path('a-reborn', 'devicebound') })).status).toBe(204);
    const sent = hub.c2d.send('a-reborn', { body: 'second life' });
    expect(sent.deviceGenerationId).toBe(hub.registry.getDevice('a-reborn').generationId);
    expect(hub.c2d.pending('a-reborn').map((m) => m.body.toString())).toEqual(['second life']);
  });

  it('does not bring the old queue back after a bulk delete (POST /devices importMode delete) and a re-create', async () => {
    hub.createDevice('a-bulk');
    hub.c2d.send('a-bulk', { body: 'old' });
    const res = await call(hub, { method: 'POST', path: '/devices', body: [{ id: 'a-bulk', importMode: 'delete' }] });
    expect(res.status).toBe(200);
    hub.createDevice('a-bulk');
    expect(hub.c2d.pending('a-bulk')).toEqual([]);
  });

  it('deletes a device while its message is in flight over MQTT: the connection ends, a late PUBACK harms nothing, the new identity starts empty', async () => {
    hub.createDevice('a-inflight');
    hub.createDevice('a-bystander-mqtt');
    const bystander = await connectRaw(hub, 'a-bystander-mqtt');
    const device = await connectRaw(hub, 'a-inflight', { subscribe: [topics.c2dFilter('a-inflight')], qos: 1 });
    const seen: string[] = [];
    device.client.handleMessage = (packet, done) => {
      seen.push(String(packet.payload));
      // hold the PUBACK until after the delete
      setImmediate(() => done?.());
    };
    hub.c2d.send('a-inflight', { body: 'doomed' });
    await expect.poll(() => seen).toEqual(['doomed']);
    const gone = closed(device.client);
    hub.registry.deleteDevice('a-inflight');
    await gone;
    hub.createDevice('a-inflight');
    expect(hub.c2d.pending('a-inflight')).toEqual([]);
    expect(hub.connectedDevices()).toContain('a-bystander-mqtt');
    await bystander.close();
  });

  it('refuses a purged message\'s late MQTT PUBACK quietly and delivers what is sent afterwards', async () => {
    hub.createDevice('a-mqtt-purge');
    const device = await connectRaw(hub, 'a-mqtt-purge', { subscribe: [topics.c2dFilter('a-mqtt-purge')], qos: 1 });
    const held: Array<() => void> = [];
    const seen: string[] = [];
    device.client.handleMessage = (packet, done) => {
      seen.push(String(packet.payload));
      held.push(() => done?.());
    };
    hub.c2d.send('a-mqtt-purge', { body: 'purge me' });
    await expect.poll(() => seen).toEqual(['purge me']);
    expect(hub.c2d.purge('a-mqtt-purge')).toBe(1);
    for (const ack of held.splice(0)) ack();
    hub.c2d.send('a-mqtt-purge', { body: 'after' });
    await expect.poll(() => seen).toEqual(['purge me', 'after']);
    for (const ack of held.splice(0)) ack();
    await expect.poll(() => hub.c2d.pending('a-mqtt-purge')).toEqual([]);
    await device.close();
  });
});

describe('C2D locks on the test clock', () => {
  it('refuses a lock that ran out with 412, returns its message to the queue uncounted, and the new lock works', async () => {
    const timed = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, clock: 'manual' });
    try {
      timed.createDevice('a-timed');
      timed.c2d.send('a-timed', { body: 'x' });
      const key = parseConnectionString(timed.deviceConnectionString('a-timed')).SharedAccessKey as string;
      // Signed far ahead: the test clock starts at the wall clock's time and only moves forward.
      const authorization = signSasToken(`${timed.hostName}/devices/a-timed`, key, Math.floor(Date.now() / 1000) + 86_400);
      const get = (): Promise<RawResponse> => call(timed, { method: 'GET', path: path('a-timed', 'devicebound'), authorization });
      const first = await get();
      const lock = (first.headers.etag as string).slice(1, -1);
      await timed.clock.advance(60_000);
      const late = await call(timed, { method: 'DELETE', path: path('a-timed', `devicebound/${lock}?api-version=2021-04-12`), authorization });
      expectError(late, 412, 'DeviceMessageLockLost');
      const again = await get();
      expect(again.status).toBe(200);
      expect(again.headers['iothub-deliverycount']).toBe('0');
      const lock2 = (again.headers.etag as string).slice(1, -1);
      expect((await call(timed, { method: 'DELETE', path: path('a-timed', `devicebound/${lock2}?api-version=2021-04-12`), authorization })).status).toBe(204);
      expect(timed.c2d.pending('a-timed')).toEqual([]);
    } finally {
      await timed.stop();
    }
  });
});
