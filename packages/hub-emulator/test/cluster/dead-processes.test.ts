import { describe, expect, it } from 'vitest';
import { hubNameOf } from '@hubemu/shared';
import type { Presence } from '../../src/registry/device-entry.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { call } from '../rest-api/http-helpers.js';
import { testCluster } from './cluster-fixture.js';

const cluster = testCluster(['a'], { leaseMs: 600 });

/** Leaves in Redis what a process killed together with the rest of its hub leaves: a device it says it holds. */
async function leftConnectedBy(owner: string, deviceId: string): Promise<string> {
  const store = await RedisStore.open({ url: cluster.redis().url, namespace: hubNameOf(cluster.hub('a').hostName), processId: 'writer', logLength: 1000 });
  const now = new Date().toISOString();
  store.collection<Presence>('presence').put(deviceId, { connectionState: 'Connected', connectionStateUpdatedTime: now, lastActivityTime: now, owner });
  await store.close();
  return now;
}

describe('devices of a process that died before the live ones could see it', () => {
  it('answers a method for such a device DeviceNotOnline, and the leader marks it Disconnected', async () => {
    const hub = cluster.hub('a');
    expect((await call(hub, { method: 'PUT', path: '/devices/ghosted', body: { deviceId: 'ghosted' } })).status).toBe(200);
    const lastActivityTime = await leftConnectedBy('killed-long-ago', 'ghosted');
    await hub.settled();
    const method = await call(hub, { method: 'POST', path: '/twins/ghosted/methods', body: { methodName: 'ping', responseTimeoutInSeconds: 5 } });
    expect(method.status).toBe(404);
    expect(method.text).toContain('DeviceNotOnline');
    await expect.poll(async () => (await call(hub, { method: 'GET', path: '/devices/ghosted' })).json, { timeout: 5_000 }).toMatchObject({ connectionState: 'Disconnected', lastActivityTime });
  });
});
