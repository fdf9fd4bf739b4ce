import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { parseConnectionString, signSasToken } from '@hubemu/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { StateCorruptError, startHub, type Hub, type Logger, type StoreNotice } from '../../src/index.js';
import { fillDisk, testDirs } from '../../src/store/store-test-dirs.fixtures.js';
import { connectRaw } from '../raw-device.js';
import { call, errorOf } from '../rest-api/http-helpers.js';

const dirs = testDirs();
const hubs: Hub[] = [];
afterEach(async () => {
  try {
    for (const hub of hubs.splice(0)) await hub.stop();
  } finally {
    dirs.cleanUp();
  }
});

/** What the hub logged at warn or error, as `[level, kind]`. */
type Logged = Array<[string, unknown]>;

function recordingLogger(logged: Logged): Logger {
  const keep = (level: string) => (obj: object) => void logged.push([level, (obj as { kind?: unknown }).kind]);
  return { debug: () => {}, info: () => {}, warn: keep('warn'), error: keep('error') };
}

async function hubIn(dataDir: string, extra: { repairState?: boolean; logger?: Logger; configurationIntervalMs?: number } = {}): Promise<Hub> {
  const hub = await startHub({ dataDir, mqttPort: 0, httpsPort: 0, amqpPort: 0, ...extra });
  hubs.push(hub);
  return hub;
}

/** About 14 KB of properties (each value under the 4 KB string limit): more than a full disk has left. */
const big = Object.fromEntries([1, 2, 3, 4].map((i) => [`pad${i}`, 'x'.repeat(3_500)]));

describe('a durable hub whose disk is full', () => {
  it('refuses writes with 503 on REST and MQTT, keeps serving reads, recovers when space returns, and keeps only acknowledged writes', async () => {
    const dataDir = dirs.smallDisk(2048);
    const logged: Logged = [];
    let hub = await hubIn(dataDir, { logger: recordingLogger(logged) });
    const notices: StoreNotice[] = [];
    hub.events.on('storeNotice', (n) => notices.push(n));
    hub.createDevice('d1', { desired: { mode: 'eco' } });
    const device = await connectRaw(hub, 'd1');
    const filler = fillDisk(dataDir);

    const rest = await call(hub, { method: 'PATCH', path: '/twins/d1', body: { properties: { desired: { mode: 'turbo', ...big } } } });
    expect(rest.status).toBe(503);
    expect(errorOf(rest)).toMatchObject({ name: 'ServiceUnavailable', header: 'ServiceUnavailable' });
    const mqtt = await device.request('$iothub/twin/PATCH/properties/reported/?$rid=full', JSON.stringify(big), 'full');
    expect(mqtt.topic).toBe('$iothub/twin/res/503/?$rid=full');
    expect(JSON.parse(mqtt.body)).toMatchObject({ errorCode: 503001 });
    expect(notices.map((n) => [n.level, n.kind])).toEqual([['error', 'writeRefused']]);
    expect(logged).toEqual([['error', 'writeRefused']]);

    const query = await call(hub, { method: 'POST', path: '/devices/query', body: { query: 'SELECT * FROM devices' } });
    expect(query.status).toBe(200);
    const read = await call(hub, { method: 'GET', path: '/twins/d1' });
    expect(read.status).toBe(200);
    expect(read.json.properties.desired.mode).toBe('eco');
    expect(read.json.properties.reported.pad1).toBeUndefined();

    rmSync(filler);
    expect((await call(hub, { method: 'PATCH', path: '/twins/d1', body: { properties: { desired: { mode: 'quiet' } } } })).status).toBe(200);
    expect(notices.map((n) => n.kind)).toEqual(['writeRefused', 'writesRecovered']);
    await device.close();
    await hub.stop();
    hubs.splice(0);

    hub = await hubIn(dataDir);
    expect(hub.getTwin('d1').properties.desired).toMatchObject({ mode: 'quiet' });
    expect(hub.getTwin('d1').properties.desired.pad1).toBeUndefined();
  });
});

describe('a durable hub whose state log is deleted while it runs', () => {
  it('notices, logs it and refuses writes with 503 instead of acknowledging writes into a deleted file', async () => {
    const dataDir = dirs.dir();
    const logged: Logged = [];
    const hub = await hubIn(dataDir, { logger: recordingLogger(logged) });
    hub.createDevice('d1');
    rmSync(join(dataDir, 'state', 'state.jsonl'));
    await expect.poll(() => logged, { timeout: 5_000 }).toEqual([['error', 'logLost']]);
    const write = await call(hub, { method: 'PATCH', path: '/twins/d1', body: { tags: { a: 1 } } });
    expect(write.status).toBe(503);
    expect((await call(hub, { method: 'GET', path: '/twins/d1' })).status).toBe(200);

    // A CONNECT that must store something (a new model id) is refused as "server unavailable", not "not authorized";
    // one that stores nothing (presence is kept in memory) is accepted.
    const cs = parseConnectionString(hub.deviceConnectionString('d1'));
    const connect = (modelId?: string) =>
      mqtt.connectAsync(`mqtts://localhost:${hub.ports.mqtt}`, {
        ca: hub.caPem,
        clientId: 'd1',
        username: `${cs.HostName}/d1/?api-version=2021-04-12${modelId ? `&model-id=${modelId}` : ''}`,
        password: signSasToken(`${cs.HostName}/devices/d1`, cs.SharedAccessKey as string, Math.floor(Date.now() / 1000) + 3600),
        protocolVersion: 4,
        reconnectPeriod: 0,
      });
    await expect(connect('dtmi:com:example:Thermostat;1')).rejects.toMatchObject({ code: 3 });
    const client = await connect();
    expect(hub.connectedDevices()).toEqual(['d1']);
    await client.endAsync(true);
  });
});

describe('a durable hub whose state directory refuses new files', () => {
  it('refuses reset() with ServiceUnavailable, keeps every device, keeps accepting writes and keeps applying configurations', async () => {
    const dataDir = dirs.dir();
    const hub = await hubIn(dataDir, { configurationIntervalMs: 50 });
    hub.createDevice('d1');
    dirs.immutable(join(dataDir, 'state'));
    await expect(hub.reset()).rejects.toMatchObject({ errorCode: 'ServiceUnavailable', status: 503 });
    expect((await call(hub, { method: 'PATCH', path: '/twins/d1', body: { tags: { a: 1 } } })).status).toBe(200);
    expect(hub.getTwin('d1').tags).toEqual({ a: 1 });
    const put = await call(hub, { method: 'PUT', path: '/configurations/after', body: { content: { deviceContent: { 'properties.desired.mode': 'eco' } }, targetCondition: '*', priority: 1 } });
    expect(put.status).toBe(201);
    await expect.poll(() => hub.getTwin('d1').properties.desired.mode, { timeout: 5_000 }).toBe('eco');
  });
});

describe('a durable hub whose state is corrupt', () => {
  const stateFile = (dataDir: string): string => join(dataDir, 'state', 'state.jsonl');

  /** A hub's state with a null line and an identity of the wrong shape after its good records; returns the data dir and the null's line. */
  async function corruptHub(): Promise<{ dataDir: string; line: number }> {
    const dataDir = dirs.dir();
    const hub = await hubIn(dataDir);
    hub.createDevice('kept', { tags: { site: 'a' } });
    await hub.stop();
    hubs.splice(0);
    const line = readFileSync(stateFile(dataDir), 'utf8').split('\n').length;
    writeFileSync(stateFile(dataDir), `null\n${JSON.stringify({ c: 'identities', k: 'broken', v: { deviceId: 'broken' } })}\n`, { flag: 'a' });
    return { dataDir, line };
  }

  it('refuses to start, naming the file, the line and the reason', async () => {
    const { dataDir, line } = await corruptHub();
    const started = hubIn(dataDir);
    await expect(started).rejects.toBeInstanceOf(StateCorruptError);
    await expect(started).rejects.toThrow(`${stateFile(dataDir)}:${line}: not a log record`);
  });

  it('starts with repairState, without the bad records, and answers GET /devices and queries', async () => {
    const { dataDir } = await corruptHub();
    const hub = await hubIn(dataDir, { repairState: true });
    const devices = await call(hub, { method: 'GET', path: '/devices' });
    expect(devices.status).toBe(200);
    expect((devices.json as Array<{ deviceId: string }>).map((d) => d.deviceId)).toEqual(['kept']);
    const query = await call(hub, { method: 'POST', path: '/devices/query', body: { query: 'SELECT * FROM devices' } });
    expect(query.status).toBe(200);
  });
});
