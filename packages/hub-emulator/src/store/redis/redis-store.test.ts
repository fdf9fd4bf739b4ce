import { HubError } from '@hubemu/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../../test/redis-server.js';
import type { RemoteWrite } from '../collection.js';
import { HUB_RECORD_SCHEMAS } from '../record-schemas.js';
import { RedisStore } from './redis-store.js';

interface Doc {
  etag: string;
  n: number;
}

let redis: RedisServer;
let namespaces = 0;
const open: RedisStore[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
afterAll(async () => {
  await redis.stop();
});

async function openStore(namespace: string, processId: string, url = redis.url): Promise<RedisStore> {
  const store = await RedisStore.open({ url, namespace, processId, logLength: 10_000 });
  open.push(store);
  return store;
}

async function pair(): Promise<[RedisStore, RedisStore]> {
  const ns = `replicas-${++namespaces}`;
  return [await openStore(ns, 'a'), await openStore(ns, 'b')];
}

describe('RedisStore: processes sharing one hub state', () => {
  it('shows a write committed by one process to a fenced read on another, and tells its listeners with the note', async () => {
    const [a, b] = await pair();
    const seen: RemoteWrite[] = [];
    b.onRemote((w) => seen.push(w));
    await a.transaction(() => {
      a.collection<Doc>('identities').put('d1', { etag: 'e1', n: 1 });
      a.note('identities', 'd1', { event: 'created' });
    });
    await b.fence();
    expect(b.collection<Doc>('identities').get('d1')).toEqual({ etag: 'e1', n: 1 });
    expect(seen).toEqual([{ collection: 'identities', key: 'd1', value: { etag: 'e1', n: 1 }, previous: undefined, note: { event: 'created' } }]);
  });

  it('loads what other processes committed when it opens', async () => {
    const ns = `replicas-${++namespaces}`;
    const a = await openStore(ns, 'a');
    a.collection<Doc>('jobs').put('j1', { etag: 'e1', n: 1 });
    a.collection<Doc>('jobs').put('j2', { etag: 'e1', n: 2 });
    a.collection<Doc>('jobs').delete('j2');
    await a.settled();
    const c = await openStore(ns, 'c');
    expect([...c.collection<Doc>('jobs').keys()]).toEqual(['j1']);
  });

  it('runs a transaction again when another process changed its key, so concurrent increments all count', async () => {
    const [a, b] = await pair();
    const increment = (s: RedisStore) =>
      s.transaction(() => {
        const c = s.collection<Doc>('identities');
        const n = c.get('counter')?.n ?? 0;
        c.put('counter', { etag: String(n + 1), n: n + 1 });
      });
    await Promise.all(Array.from({ length: 20 }, (_, i) => increment(i % 2 === 0 ? a : b)));
    await a.fence();
    await b.fence();
    expect(a.collection<Doc>('identities').get('counter')?.n).toBe(20);
    expect(b.collection<Doc>('identities').get('counter')?.n).toBe(20);
  });

  it('refuses an If-Match write with the etag another process replaced', async () => {
    const [a, b] = await pair();
    await a.transaction(() => a.collection<Doc>('identities').put('d1', { etag: 'e1', n: 1 }));
    await b.fence();
    await b.transaction(() => b.collection<Doc>('identities').put('d1', { etag: 'e2', n: 2 }, { ifMatch: '"e1"', etagOf: (d) => d.etag }));
    await a.fence();
    let error: unknown;
    try {
      await a.transaction(() => a.collection<Doc>('identities').put('d1', { etag: 'e3', n: 3 }, { ifMatch: '"e1"', etagOf: (d) => d.etag }));
    } catch (e) {
      error = e;
    }
    expect((error as HubError).code).toBe(412001);
    expect(a.collection<Doc>('identities').get('d1')?.n).toBe(2);
  });

  it('keeps a write made on top of its own uncommitted write, and commits both in order', async () => {
    const [a, b] = await pair();
    const c = a.collection<Doc>('presence');
    c.put('d1', { etag: '1', n: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    c.put('d1', { etag: '2', n: 2 });
    c.put('d2', { etag: '1', n: 1 });
    await a.settled();
    await b.fence();
    expect(b.collection<Doc>('presence').get('d1')?.n).toBe(2);
    expect(b.collection<Doc>('presence').get('d2')?.n).toBe(1);
  });

  it('empties every process on clear and tells the others', async () => {
    const [a, b] = await pair();
    let cleared = 0;
    b.onRemoteClear(() => (cleared += 1));
    a.collection<Doc>('identities').put('d1', { etag: 'e1', n: 1 });
    await a.settled();
    await b.fence();
    expect(b.collection<Doc>('identities').size).toBe(1);
    a.clear();
    a.collection<Doc>('identities').put('d2', { etag: 'e1', n: 1 });
    await a.settled();
    await b.fence();
    expect([...b.collection<Doc>('identities').keys()]).toEqual(['d2']);
    expect(cleared).toBe(1);
  });

  it('keeps every acknowledged write when redis-server is killed and restarted on its append-only file', async () => {
    const own = await startRedisServer();
    try {
      const a = await RedisStore.open({ url: own.url, namespace: 'kill', processId: 'a', logLength: 10_000 });
      const c = a.collection<Doc>('identities');
      for (let i = 0; i < 200; i++) await a.transaction(() => c.put(`d${i}`, { etag: '1', n: i }));
      await own.kill();
      await own.start();
      const b = await RedisStore.open({ url: own.url, namespace: 'kill', processId: 'b', logLength: 10_000 });
      expect(b.collection<Doc>('identities').size).toBe(200);
      expect(b.collection<Doc>('identities').get('d199')?.n).toBe(199);
      await a.close();
      await b.close();
    } finally {
      await own.stop();
    }
  });

  it('refuses to start on a Redis without its append-only file unless told the state may be lost', async () => {
    const volatile = await startRedisServer({ appendonly: false });
    try {
      await expect(RedisStore.open({ url: volatile.url, namespace: 'v', processId: 'a', logLength: 10_000 })).rejects.toThrow(/append-only file is off.*--redis-volatile/);
      const store = await RedisStore.open({ url: volatile.url, namespace: 'v', processId: 'a', logLength: 10_000, volatile: true });
      await store.close();
    } finally {
      await volatile.stop();
    }
  });

  it('leaves out a record in Redis that is not one the hub can use, says so, and keeps following after a foreign log entry', async () => {
    const ns = `replicas-${++namespaces}`;
    const a = await openStore(ns, 'a');
    a.collection<number>('c2dSequences').put('good', 1);
    await a.settled();
    const raw = redis.client();
    await raw.hset(`hubemu:{${ns}}:c:c2dSequences`, 'bad', '{not json');
    await raw.hset(`hubemu:{${ns}}:c:identities`, 'wrong', JSON.stringify({ deviceId: '' }));
    const notices: string[] = [];
    const b = await RedisStore.open({ url: redis.url, namespace: ns, processId: 'b', logLength: 10_000, onNotice: (n) => notices.push(`${n.kind}: ${n.message}`), schemas: HUB_RECORD_SCHEMAS });
    open.push(b);
    expect([...b.collection<number>('c2dSequences').keys()]).toEqual(['good']);
    expect(b.collection('identities').size).toBe(0);
    expect(notices.filter((n) => n.startsWith('badRecord'))).toHaveLength(2);
    await raw.xadd(`hubemu:{${ns}}:log`, '*', 'p', 'intruder', 'garbage', 'x');
    a.collection<number>('c2dSequences').put('after', 2);
    await a.settled();
    await b.fence();
    expect(b.collection<number>('c2dSequences').get('after')).toBe(2);
  });

  it('refuses writes with ServiceUnavailable while Redis is down, keeps serving reads, and takes writes again when it is back', async () => {
    const own = await startRedisServer();
    const a = await RedisStore.open({ url: own.url, namespace: 'down', processId: 'a', logLength: 10_000 });
    try {
      const c = a.collection<Doc>('identities');
      await a.transaction(() => c.put('kept', { etag: '1', n: 1 }));
      await own.kill();
      let error: unknown;
      try {
        await a.transaction(() => c.put('lost', { etag: '1', n: 2 }));
      } catch (e) {
        error = e;
      }
      expect((error as HubError).code).toBe(503001);
      expect(c.get('kept')?.n).toBe(1);
      // A read that must see every acknowledged write cannot while Redis is away: 503, and fences work again after.
      await expect(a.fence()).rejects.toMatchObject({ code: 503001 });
      await own.start();
      await expect.poll(async () => Promise.resolve(a.transaction(() => c.put('after', { etag: '1', n: 3 }))).then(() => true, () => false), { timeout: 10_000 }).toBe(true);
      await a.fence();
      // The write that was refused is not in the replica once it has reloaded.
      await expect.poll(() => c.has('lost'), { timeout: 5000 }).toBe(false);
      expect(c.get('kept')?.n).toBe(1);
    } finally {
      await a.close();
      await own.stop();
    }
  });

  it('reloads its replica when the commit log skips revisions it never saw (trimmed past it), and says so', async () => {
    const ns = `replicas-${++namespaces}`;
    const a = await openStore(ns, 'a');
    const notices: string[] = [];
    const b = await RedisStore.open({ url: redis.url, namespace: ns, processId: 'b', logLength: 10_000, onNotice: (n) => notices.push(n.kind) });
    open.push(b);
    await a.transaction(() => a.collection<Doc>('jobs').put('j1', { etag: '1', n: 1 }));
    await b.fence();
    // An entry far ahead of the counter: what a process sees when the entries before it were trimmed away.
    await redis.client().xadd(`hubemu:{${ns}}:log`, '*', 'p', 'a', `1000\0jobs\0ghost`, JSON.stringify({ etag: 'x', n: 0 }));
    await a.transaction(() => a.collection<Doc>('jobs').put('j2', { etag: '1', n: 2 }));
    await b.fence();
    await expect.poll(() => notices.includes('resync'), { timeout: 5000 }).toBe(true);
    expect([...b.collection<Doc>('jobs').keys()].sort()).toEqual(['j1', 'j2']);
  });

  it('names the Redis it could not reach', async () => {
    await expect(RedisStore.open({ url: 'redis://127.0.0.1:1', namespace: 'x', processId: 'a', logLength: 10_000 })).rejects.toThrow(/Could not use Redis at redis:\/\/127\.0\.0\.1:1/);
  });
});
