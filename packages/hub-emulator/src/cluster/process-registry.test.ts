import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../test/redis-server.js';
import { ProcessRegistry } from './process-registry.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});

describe('ProcessRegistry: liveness and the leader lease', () => {
  it('lets exactly one process lead, and hands the lease to another when the leader stops', async () => {
    const open = (processId: string) => ProcessRegistry.open({ url: redis.url, namespace: 'lease-1', processId, leaseMs: 600 });
    const a = await open('a');
    const b = await open('b');
    expect([a.isLeader, b.isLeader]).toEqual([true, false]);
    await expect.poll(() => b.isAlive('a') && a.isAlive('b'), { timeout: 3000 }).toBe(true);
    expect(b.isGone('a')).toBe(false);
    await a.close();
    await expect.poll(() => b.isLeader, { timeout: 3000 }).toBe(true);
    await expect.poll(() => b.isGone('a'), { timeout: 3000 }).toBe(true);
    expect(b.isAlive('a')).toBe(false);
    // A process never seen may have started since the last reading: callers try it (and fail when nobody receives).
    expect(b.isAlive('not-seen-yet')).toBe(true);
    await b.close();
  });
});
