import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_STREAM_MAX_CLIENTS, startHub, type Hub } from '../../src/index.js';
import { connectRaw } from '../raw-device.js';
import { call, errorOf, policyToken } from '../rest-api/http-helpers.js';
import { openEventStream, type OpenStream } from './event-stream-client.js';

let dir: string;
let hub: Hub;

/** A stand-in for the built dashboard: the hub serves whatever folder it is given. */
function fakeBuild(): string {
  const root = join(dir, 'dist');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>hubemu dashboard</title><script type="module" src="/dashboard/assets/app.js"></script>');
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log("dashboard");');
  return root;
}

const loginOf = (h: Hub): string => {
  if (h.dashboard.state !== 'ready') throw new Error(`dashboard is ${h.dashboard.state}`);
  return new URL(h.dashboard.loginUrl()).hash.replace('#login=', '');
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hubemu-dashboard-'));
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, dashboardDir: fakeBuild() });
});
afterAll(async () => {
  await hub.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('serving the dashboard', () => {
  it('serves the page at / with a content security policy that allows only the hub, and its assets under /dashboard/assets', async () => {
    const page = await call(hub, { method: 'GET', path: '/', policy: null });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('hubemu dashboard');
    expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
    const asset = await call(hub, { method: 'GET', path: '/dashboard/assets/app.js', policy: null });
    expect(asset.status).toBe(200);
    expect(asset.text).toContain('dashboard');
  });

  it('an asset that does not exist is 404 NotFound from the error table, not a page', async () => {
    const missing = await call(hub, { method: 'GET', path: '/dashboard/assets/nope.js', policy: null });
    expect(missing.status).toBe(404);
    expect(missing.headers['iothub-errorcode']).toBe('NotFound');
  });

  it('the banner link names the HTTPS port and carries the login token in the fragment, never in the request', () => {
    if (hub.dashboard.state !== 'ready') throw new Error('not ready');
    expect(hub.dashboard.loginUrl()).toMatch(new RegExp(`^https://localhost:${hub.ports.https}/#login=[\\w-]{43}$`));
  });

  it('dashboard: false serves nothing at / and reports the dashboard off', async () => {
    const off = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, dashboard: false, dashboardDir: join(dir, 'dist') });
    try {
      expect(off.dashboard.state).toBe('off');
      const page = await call(off, { method: 'GET', path: '/', policy: null });
      expect(page.status).toBe(404);
      expect(errorOf(page).header).toBe('NotFound');
      expect((await call(off, { method: 'POST', path: '/dashboard/session', body: { login: 'x' }, policy: null })).status).toBe(404);
    } finally {
      await off.stop();
    }
  });

  it('a hub whose dashboard is not built still starts, says so, and answers / with 404 naming the build command', async () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (_o: object, msg?: string) => void warnings.push(msg ?? '') };
    const bare = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, dashboardDir: join(dir, 'missing'), logger });
    try {
      expect(bare.dashboard).toEqual({ state: 'not-built', dir: join(dir, 'missing') });
      expect(warnings.some((w) => w.includes('not built'))).toBe(true);
      const page = await call(bare, { method: 'GET', path: '/', policy: null });
      expect(page.status).toBe(404);
      expect(errorOf(page).message).toContain('npm run build');
      expect((await call(bare, { method: 'GET', path: '/health', policy: null })).status).toBe(200);
    } finally {
      await bare.stop();
    }
  });
});

describe('logging in', () => {
  it('a login token is exchanged once for an owner SAS token that the REST API accepts', async () => {
    const login = loginOf(hub);
    const session = await call(hub, { method: 'POST', path: '/dashboard/session', body: { login }, policy: null });
    expect(session.status).toBe(200);
    expect(session.json).toMatchObject({ hostName: 'localhost', policyName: 'iothubowner' });
    const list = await call(hub, { method: 'GET', path: '/devices', authorization: session.json.authorization });
    expect(list.status).toBe(200);

    const again = await call(hub, { method: 'POST', path: '/dashboard/session', body: { login }, policy: null });
    expect(again.status).toBe(401);
    expect(errorOf(again).header).toBe('IotHubUnauthorized');
  });

  it('an unknown, empty or malformed login is refused with IoT Hub error codes', async () => {
    const unknown = await call(hub, { method: 'POST', path: '/dashboard/session', body: { login: 'A'.repeat(43) }, policy: null });
    expect([unknown.status, errorOf(unknown).header]).toEqual([401, 'IotHubUnauthorized']);
    const empty = await call(hub, { method: 'POST', path: '/dashboard/session', body: { login: '' }, policy: null });
    expect([empty.status, errorOf(empty).header]).toEqual([400, 'ArgumentInvalid']);
    const notJson = await call(hub, { method: 'POST', path: '/dashboard/session', body: '{login', policy: null });
    expect([notJson.status, errorOf(notJson).header]).toEqual([400, 'ArgumentInvalid']);
  });
});

describe('the live event stream', () => {
  const streams: OpenStream[] = [];
  afterAll(() => streams.forEach((s) => s.close()));
  const open = async (authorization?: string): Promise<OpenStream> => {
    const stream = await openEventStream(hub, authorization);
    streams.push(stream);
    return stream;
  };

  it('is refused without a SAS token, and with a policy that may neither read the registry nor connect as a service', async () => {
    const none = await open();
    expect(none.status).toBe(401);
    const device = await open(policyToken(hub, 'device'));
    expect(device.status).toBe(401);
  });

  it('sends twin, connection and request events to a registryRead login, and telemetry only to a ServiceConnect one', async () => {
    hub.createDevice('live-1');
    const reader = await open(policyToken(hub, 'registryRead'));
    const service = await open(policyToken(hub, 'service'));
    expect([reader.status, service.status]).toEqual([200, 200]);
    expect(reader.response.headers['content-type']).toMatch(/^text\/event-stream/);

    const device = await connectRaw(hub, 'live-1');
    await device.client.publishAsync('devices/live-1/messages/events/', '{"temperature":21}', { qos: 1 });
    hub.updateTwin('live-1', { properties: { desired: { telemetryConfig: { sendFrequency: '1m' } } } });
    await expect.poll(() => service.events.some((e) => e.name === 'telemetry')).toBe(true);
    await expect.poll(() => reader.events.some((e) => e.name === 'twinUpdated')).toBe(true);
    await device.close();
    await expect.poll(() => reader.events.some((e) => e.name === 'deviceDisconnected')).toBe(true);

    expect(service.events.find((e) => e.name === 'telemetry')?.data).toMatchObject({ deviceId: 'live-1', body: '{"temperature":21}', bodyEncoding: 'utf8' });
    expect(reader.events.find((e) => e.name === 'deviceConnected')?.data).toMatchObject({ deviceId: 'live-1' });
    expect(reader.events.find((e) => e.name === 'twinUpdated')?.data).toMatchObject({ deviceId: 'live-1', desired: { telemetryConfig: { sendFrequency: '1m' } } });
    expect(reader.events.some((e) => e.name === 'request' && (e.data as { operation: string }).operation === 'telemetry')).toBe(true);
    expect(reader.events.some((e) => e.name === 'telemetry')).toBe(false);
  });

  it('a client that stops reading is dropped events, not buffered without end, and is told how many it missed', async () => {
    const slow = await open(policyToken(hub, 'iothubowner'));
    slow.response.pause();
    const big = 'x'.repeat(16 * 1024);
    const emitted = 400; // 400 events of 16 KiB: 6.4 MB, far more than the per-client bound
    for (let i = 0; i < emitted; i += 1) {
      hub.events.emit('request', { plane: 'http', operation: `flood ${i}`, message: big, status: 200, requestBytes: 0, responseBytes: 0, durationMs: 0, at: 'now' });
    }
    slow.response.resume();
    // Once the reader has caught up, the next event reaches it, preceded by the count of those it missed.
    let probes = 0;
    const probe = (): void => {
      probes += 1;
      hub.events.emit('request', { plane: 'http', operation: 'probe', status: 200, requestBytes: 0, responseBytes: 0, durationMs: 0, at: 'now' });
    };
    await expect
      .poll(() => {
        probe();
        return slow.events.some((e) => e.name === 'request' && (e.data as { operation: string }).operation === 'probe');
      })
      .toBe(true);
    const count = (operation: string): number => slow.events.filter((e) => e.name === 'request' && (e.data as { operation: string }).operation.startsWith(operation)).length;
    const dropped = (): number => slow.events.filter((e) => e.name === 'dropped').reduce((sum, e) => sum + (e.data as { count: number }).count, 0);
    // Every event is either delivered or counted as dropped (probes still in flight arrive).
    await expect.poll(() => count('flood') + count('probe') + dropped()).toBe(emitted + probes);
    expect(dropped()).toBeGreaterThan(0);
    expect(count('flood')).toBeLessThan(emitted);
    expect(slow.bytes()).toBeLessThan(2 * 1024 * 1024);
  });

  it(`at most ${EVENT_STREAM_MAX_CLIENTS} streams are open at once; one more is 429 ThrottlingException, and a closed one frees its place`, async () => {
    const token = policyToken(hub, 'service');
    const openNow = streams.filter((s) => s.status === 200 && !s.response.destroyed).length;
    const more: OpenStream[] = [];
    for (let i = openNow; i < EVENT_STREAM_MAX_CLIENTS; i += 1) more.push(await open(token));
    expect(more.every((s) => s.status === 200)).toBe(true);
    const refused = await open(token);
    expect(refused.status).toBe(429);
    expect(refused.response.headers['iothub-errorcode']).toBe('ThrottlingException');
    more[0]?.close();
    await expect.poll(async () => (await open(token)).status).toBe(200);
  });
});
