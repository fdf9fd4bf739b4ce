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

  it('stops leading, before any more leader work, once its own process stalled past two thirds of the lease', async () => {
    const open = (processId: string) => ProcessRegistry.open({ url: redis.url, namespace: 'lease-2', processId, leaseMs: 600 });
    const a = await open('a');
    const b = await open('b');
    expect(a.isLeader).toBe(true);
    const told: boolean[] = [];
    a.onLeaderChange((leading) => told.push(leading));
    // The stall under test: the event loop blocked for longer than two thirds of the lease.
    const until = Date.now() + 500;
    while (Date.now() < until);
    expect(a.isLeader).toBe(false);
    await expect.poll(() => told.length).toBeGreaterThan(0);
    expect(told[0]).toBe(false);
    // Once the lease it renewed before the stall lapses, one of them takes it again (a may too, on a fresh lease); never both.
    await expect.poll(() => a.isLeader || b.isLeader, { timeout: 3000 }).toBe(true);
    expect(a.isLeader && b.isLeader).toBe(false);
    await a.close();
    await b.close();
  });
});

