import { METHOD_REQUEST_FILTER } from '@hubemu/shared';
import { describe, expect, it } from 'vitest';
import type { Hub, Logger } from '../../src/index.js';
import { connectRaw } from '../raw-device.js';
import { call } from '../rest-api/http-helpers.js';
import { testCluster } from './cluster-fixture.js';

const warnings: string[] = [];
const logger: Logger = { debug() {}, info() {}, warn: (_obj, msg) => void warnings.push(String(msg)), error() {} };
const cluster = testCluster(['a', 'b'], { leaseMs: 600, logger });
const a = (): Hub => cluster.hub('a');
const b = (): Hub => cluster.hub('b');

describe('what the processes of a hub cannot read from each other', () => {
  it('is ignored with a warning, and the processes go on relaying methods and test controls', async () => {
    const redis = cluster.redis().client();
    const channels = (await redis.pubsub('CHANNELS', 'hubemu:*')) as string[];
    expect(channels.length).toBeGreaterThanOrEqual(3); // a's and b's own, and the test controls'
    for (const channel of channels) {
      for (const text of ['not json', '{"kind":"method"}', '[]', JSON.stringify({ kind: 'request', from: 'x', rid: 1, action: { op: 'nothing' } })]) await redis.publish(channel, text);
    }
    await expect.poll(() => new Set(warnings)).toEqual(new Set(['a message from another hub process was not understood', 'a test control from another hub process was not understood']));

    await call(a(), { method: 'PUT', path: '/devices/bad-1', body: { deviceId: 'bad-1' } });
    const device = cluster.track(await connectRaw(a(), 'bad-1', { subscribe: [METHOD_REQUEST_FILTER] }));
    device.client.on('message', (topic) => {
      const rid = /\$rid=(.+)$/.exec(topic)?.[1];
      if (rid) device.client.publish(`$iothub/methods/res/200/?$rid=${rid}`, '{"ok":true}');
    });
    const res = await call(b(), { method: 'POST', path: '/twins/bad-1/methods', body: { methodName: 'ping', responseTimeoutInSeconds: 5 } });
    expect(res.json).toEqual({ status: 200, payload: { ok: true } });

    const added = await call(b(), { method: 'POST', path: '/emulator/faults', body: { operation: 'twin.get', device: 'bad-*', action: 'fail', status: 503 } });
    expect(added.status).toBe(201);
    expect(((await call(a(), { method: 'GET', path: '/emulator/faults' })).json as unknown[]).length).toBe(1);
  });
});
