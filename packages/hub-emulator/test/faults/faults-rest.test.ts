import { request } from 'node:https';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub, type RequestEvent } from '../../src/index.js';
import { call, errorOf, policyToken } from '../rest-api/http-helpers.js';

let hub: Hub;
const requests: RequestEvent[] = [];

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, dashboard: false });
  hub.events.on('request', (e) => void requests.push(e));
});
afterEach(() => {
  hub.faults.clear();
});
afterAll(async () => {
  await hub.stop();
});

describe('the /emulator/faults control routes', () => {
  it('add, list and clear faults for a policy with every permission', async () => {
    const added = await call(hub, { method: 'POST', path: '/emulator/faults', body: { id: 'f1', operation: 'twin.get', action: 'drop' } });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ id: 'f1', operation: 'twin.get', action: 'drop', applied: 0, createdAt: expect.any(String) });
    await call(hub, { method: 'POST', path: '/emulator/faults', body: { id: 'f2', operation: 'connect', action: 'refuse' } });
    expect((await call(hub, { method: 'GET', path: '/emulator/faults' })).json.map((f: { id: string }) => f.id)).toEqual(['f1', 'f2']);
    expect((await call(hub, { method: 'DELETE', path: '/emulator/faults/f1' })).json).toEqual({ cleared: 1 });
    expect((await call(hub, { method: 'DELETE', path: '/emulator/faults' })).json).toEqual({ cleared: 1 });
    expect((await call(hub, { method: 'GET', path: '/emulator/faults' })).json).toEqual([]);
  });

  it('refuse a policy without every permission, a bad definition naming the field, a taken id and an unknown id', async () => {
    const service = await call(hub, { method: 'GET', path: '/emulator/faults', policy: 'service' });
    expect(service.status).toBe(401);
    expect(errorOf(service).name).toBe('IotHubUnauthorizedAccess');
    const bad = await call(hub, { method: 'POST', path: '/emulator/faults', body: { operation: 'twin.desired', action: 'fail', status: 500 } });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).message).toContain("action: 'fail' does not apply to 'twin.desired'");
    await call(hub, { method: 'POST', path: '/emulator/faults', body: { id: 'same', operation: 'twin.get', action: 'drop' } });
    expect((await call(hub, { method: 'POST', path: '/emulator/faults', body: { id: 'same', operation: 'twin.get', action: 'drop' } })).status).toBe(400);
    const unknown = await call(hub, { method: 'DELETE', path: '/emulator/faults/nope' });
    expect(unknown.status).toBe(404);
  });

  it('stay reachable when a fault fails every REST route', async () => {
    hub.faults.add({ operation: 'http', action: 'fail', status: 500 });
    expect((await call(hub, { method: 'GET', path: '/devices' })).status).toBe(500);
    expect((await call(hub, { method: 'DELETE', path: '/emulator/faults' })).status).toBe(200);
    expect((await call(hub, { method: 'GET', path: '/devices' })).status).toBe(200);
  });
});

describe('faults on REST routes', () => {
  it('fail a matching route with the status and envelope the service uses, leaving other routes alone', async () => {
    hub.createDevice('r-fail');
    hub.faults.add({ id: 'busy', operation: 'http', route: 'GET /twins/*', device: 'r-*', action: 'fail', status: 503 });
    const failed = await call(hub, { method: 'GET', path: '/twins/r-fail' });
    expect(failed.status).toBe(503);
    expect(failed.headers['iothub-errorcode']).toBe('ServiceUnavailable');
    expect(errorOf(failed).name).toBe('ServiceUnavailable');
    expect((await call(hub, { method: 'GET', path: '/devices/r-fail' })).status).toBe(200);
    await expect.poll(() => requests.find((r) => r.operation === 'GET /twins/:deviceId' && r.deviceId === 'r-fail')).toMatchObject({ status: 503, fault: 'busy' });
    // The recorded traffic (hub.traffic(), GET /emulator/traffic) names the fault too.
    expect(hub.traffic({ deviceId: 'r-fail', operation: 'GET /twins/*' })).toEqual([expect.objectContaining({ status: 503, fault: 'busy' })]);
  });

  it('answer a failed method call with both envelopes, as the service answers method calls', async () => {
    hub.createDevice('r-method');
    hub.faults.add({ operation: 'http', route: 'POST /twins/:deviceId/methods', action: 'fail', status: 429 });
    const failed = await call(hub, { method: 'POST', path: '/twins/r-method/methods', body: { methodName: 'reboot' } });
    expect(failed.status).toBe(429);
    expect(failed.json).toMatchObject({ errorCode: 429001, Message: expect.stringMatching(/^ErrorCode:ThrottlingException;/) });
  });

  it('delay a matching route, then answer it normally', async () => {
    hub.createDevice('r-delay');
    hub.faults.add({ id: 'slow', operation: 'http', route: 'GET /twins/*', action: 'delay', delayMs: 200 });
    expect((await call(hub, { method: 'GET', path: '/twins/r-delay' })).status).toBe(200);
    await expect.poll(() => requests.find((r) => r.deviceId === 'r-delay' && r.fault === 'slow')).toMatchObject({ status: 200 });
  });

  it('drop a matching route: no answer until the client gives up, recorded with status 0', async () => {
    hub.createDevice('r-drop');
    hub.faults.add({ id: 'void', operation: 'http', route: 'GET /twins/*', device: 'r-drop', action: 'drop' });
    const outcome = await new Promise<string>((resolve) => {
      const req = request({ host: 'localhost', port: hub.ports.https, path: '/twins/r-drop?api-version=2021-04-12', ca: hub.caPem, headers: { Authorization: policyToken(hub, 'iothubowner') }, timeout: 300 });
      req.on('response', () => resolve('answered'));
      req.on('timeout', () => {
        req.destroy();
        resolve('timed out');
      });
      req.on('error', () => undefined);
      req.end();
    });
    expect(outcome).toBe('timed out');
    await expect.poll(() => requests.find((r) => r.deviceId === 'r-drop')).toMatchObject({ status: 0, fault: 'void' });
  });
});
