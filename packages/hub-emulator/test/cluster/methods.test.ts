import { METHOD_REQUEST_FILTER, TWIN_RESPONSE_FILTER } from '@hubemu/shared';
import { describe, expect, it } from 'vitest';
import type { Hub } from '../../src/index.js';
import { closed, connectRaw, type RawDevice } from '../raw-device.js';
import { call } from '../rest-api/http-helpers.js';
import { testCluster } from './cluster-fixture.js';

const cluster = testCluster(['a', 'b'], { leaseMs: 600 });
const a = (): Hub => cluster.hub('a');
const b = (): Hub => cluster.hub('b');

/** A device on `hub` that answers every method with `answer(name, payload)`, or never when it returns undefined. */
async function answeringDevice(hub: Hub, deviceId: string, answer: (name: string, payload: unknown) => { status: number; payload: unknown } | undefined): Promise<RawDevice> {
  await call(hub, { method: 'PUT', path: `/devices/${deviceId}`, body: { deviceId } });
  const d = cluster.track(await connectRaw(hub, deviceId, { subscribe: [TWIN_RESPONSE_FILTER, METHOD_REQUEST_FILTER] }));
  d.client.on('message', (topic, body) => {
    const match = /^\$iothub\/methods\/POST\/([^/]+)\/\?\$rid=(.+)$/.exec(topic);
    if (!match) return;
    const reply = answer(match[1] as string, JSON.parse(body.toString() || 'null'));
    if (reply) d.client.publish(`$iothub/methods/res/${reply.status}/?$rid=${match[2]}`, JSON.stringify(reply.payload));
  });
  return d;
}

describe('direct methods across the processes of a hub', () => {
  it('carries a method invoked through one process to the device on the other, and its answer back', async () => {
    await answeringDevice(a(), 'm-1', (name, payload) => ({ status: 200, payload: { name, echo: payload } }));
    const res = await call(b(), { method: 'POST', path: '/twins/m-1/methods', body: { methodName: 'reboot', payload: { delay: 5 }, responseTimeoutInSeconds: 5 } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ status: 200, payload: { name: 'reboot', echo: { delay: 5 } } });
  });

  it('times out with 504 when the device on the other process does not answer', async () => {
    await answeringDevice(a(), 'm-2', () => undefined);
    const res = await call(b(), { method: 'POST', path: '/twins/m-2/methods', body: { methodName: 'ignore', responseTimeoutInSeconds: 5 } });
    expect(res.status).toBe(504);
    expect(res.text).toContain('GatewayTimeout');
  });

  it('fails the call as the device closed the connection when it disconnects from the other process before answering', async () => {
    let drop: (() => void) | undefined;
    const d = await answeringDevice(a(), 'm-3', () => {
      drop?.();
      return undefined;
    });
    drop = () => void d.client.end(true);
    const res = await call(b(), { method: 'POST', path: '/twins/m-3/methods', body: { methodName: 'bye', responseTimeoutInSeconds: 10 } });
    expect(res.status).toBe(404);
    expect(res.text).toContain('DeviceConnectionClosedRemotely');
  });

  it('answers 404 DeviceNotOnline for a device connected nowhere, and drops a connection held by the other process on a registry delete', async () => {
    await call(a(), { method: 'PUT', path: '/devices/m-4', body: { deviceId: 'm-4' } });
    const offline = await call(b(), { method: 'POST', path: '/twins/m-4/methods', body: { methodName: 'x', responseTimeoutInSeconds: 5 } });
    expect(offline.status).toBe(404);
    expect(offline.text).toContain('DeviceNotOnline');
    const d = await answeringDevice(a(), 'm-5', () => ({ status: 200, payload: null }));
    const gone = closed(d.client);
    expect((await call(b(), { method: 'DELETE', path: '/devices/m-5', headers: { 'If-Match': '*' } })).status).toBe(204);
    await gone;
  });
});
