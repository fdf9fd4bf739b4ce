import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubError } from '@hubemu/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServer } from '../../test/redis-server.js';
import type { Store } from './collection.js';
import { DurableStore } from './durable-store.js';
import { MemoryStore } from './memory-store.js';
import { RedisStore } from './redis/redis-store.js';

interface Doc {
  id: string;
  etag: string;
  n: number;
}
const etagOf = (d: Doc): string => d.etag;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'hubemu-store-'));
  dirs.push(d);
  return d;
}

let redis: RedisServer;
let namespaces = 0;
const open: Store[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
afterAll(async () => {
  await redis.stop();
});

const implementations: Array<[string, () => Store | Promise<Store>]> = [
  ['MemoryStore', () => new MemoryStore()],
  ['DurableStore', () => new DurableStore(tempDir())],
  [
    'RedisStore',
    async () => {
      const store = await RedisStore.open({ url: redis.url, namespace: `contract-${++namespaces}`, processId: 'p1', logLength: 10_000 });
      open.push(store);
      return store;
    },
  ],
];

describe.each(implementations)('%s (store contract)', (_name, make) => {
  it('returns what was put and undefined for unknown keys', async () => {
    const c = (await make()).collection<Doc>('identities');
    c.put('a', { id: 'a', etag: '1', n: 1 });
    expect(c.get('a')).toEqual({ id: 'a', etag: '1', n: 1 });
    expect(c.get('b')).toBeUndefined();
    expect(c.has('a')).toBe(true);
    expect(c.size).toBe(1);
  });

  it('keeps collections apart', async () => {
    const s = await make();
    s.collection<Doc>('identities').put('a', { id: 'a', etag: '1', n: 1 });
    expect(s.collection<Doc>('jobs').get('a')).toBeUndefined();
  });

  it('writes when the If-Match etag matches, quoted or as a wildcard', async () => {
    const c = (await make()).collection<Doc>('identities');
    c.put('a', { id: 'a', etag: 'e1', n: 1 });
    c.put('a', { id: 'a', etag: 'e2', n: 2 }, { ifMatch: '"e1"', etagOf });
    c.put('a', { id: 'a', etag: 'e3', n: 3 }, { ifMatch: '*', etagOf });
    expect(c.get('a')?.n).toBe(3);
  });

  it('refuses a stale etag with PreconditionFailed and keeps the stored value', async () => {
    const c = (await make()).collection<Doc>('identities');
    c.put('a', { id: 'a', etag: 'e1', n: 1 });
    let error: unknown;
    try {
      c.put('a', { id: 'a', etag: 'e2', n: 2 }, { ifMatch: '"stale"', etagOf });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HubError);
    expect((error as HubError).code).toBe(412001);
    expect(c.get('a')?.n).toBe(1);
  });

  it('refuses a conditional write to a key that does not exist', async () => {
    const c = (await make()).collection<Doc>('identities');
    expect(() => c.put('a', { id: 'a', etag: 'e1', n: 1 }, { ifMatch: '*', etagOf })).toThrow(HubError);
    expect(c.has('a')).toBe(false);
  });

  it('deletes with and without a condition and reports whether anything was deleted', async () => {
    const c = (await make()).collection<Doc>('identities');
    c.put('a', { id: 'a', etag: 'e1', n: 1 });
    c.put('b', { id: 'b', etag: 'e1', n: 1 });
    expect(() => c.delete('a', { ifMatch: '"nope"', etagOf })).toThrow(HubError);
    expect(c.delete('a', { ifMatch: '"e1"', etagOf })).toBe(true);
    expect(c.delete('b')).toBe(true);
    expect(c.delete('b')).toBe(false);
    expect(c.size).toBe(0);
  });

  it('lists keys and values', async () => {
    const c = (await make()).collection<Doc>('identities');
    for (const k of ['x', 'y', 'z']) c.put(k, { id: k, etag: '1', n: 0 });
    expect([...c.keys()].sort()).toEqual(['x', 'y', 'z']);
    expect([...c.values()].map((d) => d.id).sort()).toEqual(['x', 'y', 'z']);
  });

  it('empties every collection on clear', async () => {
    const s = await make();
    s.collection<Doc>('identities').put('a', { id: 'a', etag: '1', n: 1 });
    s.collection<Doc>('jobs').put('j', { id: 'j', etag: '1', n: 1 });
    s.clear();
    expect(s.collection<Doc>('identities').size).toBe(0);
    expect(s.collection<Doc>('jobs').size).toBe(0);
  });
});

describe('DurableStore', () => {
  it('brings back every write, update and delete after a reopen', () => {
    const dir = tempDir();
    const a = new DurableStore(dir);
    const c = a.collection<Doc>('identities');
    c.put('a', { id: 'a', etag: '1', n: 1 });
    c.put('b', { id: 'b', etag: '1', n: 1 });
    c.put('a', { id: 'a', etag: '2', n: 2 });
    c.delete('b');
    a.collection<Doc>('jobs').put('j', { id: 'j', etag: '1', n: 7 });
    // No close(): a killed process never gets to close; writes must already be in the file.
    const b = new DurableStore(dir);
    expect(b.collection<Doc>('identities').get('a')?.n).toBe(2);
    expect(b.collection<Doc>('identities').has('b')).toBe(false);
    expect(b.collection<Doc>('jobs').get('j')?.n).toBe(7);
    b.close();
  });

  it('compacts a long log without losing the live data', () => {
    const dir = tempDir();
    const s = new DurableStore(dir);
    const c = s.collection<Doc>('identities');
    const writes = 25_000;
    for (let i = 0; i < writes; i++) c.put(`k${i % 10}`, { id: `k${i % 10}`, etag: String(i), n: i });
    s.close();
    const lines = readFileSync(join(dir, 'state.jsonl'), 'utf8').trim().split('\n').length;
    expect(lines).toBeLessThan(writes);
    const again = new DurableStore(dir).collection<Doc>('identities');
    expect(again.size).toBe(10);
    expect(again.get('k9')?.n).toBe(writes - 1);
  });

  it('cuts a torn last line at open, so the next write starts on a line of its own', () => {
    const dir = tempDir();
    const s = new DurableStore(dir);
    s.collection<Doc>('identities').put('a', { id: 'a', etag: '1', n: 1 });
    s.close();
    appendFileSync(join(dir, 'state.jsonl'), '{"c":"identities","k":"torn","v":{"id":"to');
    const reopened = new DurableStore(dir);
    expect(reopened.collection<Doc>('identities').has('torn')).toBe(false);
    reopened.collection<Doc>('identities').put('b', { id: 'b', etag: '2', n: 2 });
    reopened.close();
    const again = new DurableStore(dir).collection<Doc>('identities');
    expect(again.get('a')?.n).toBe(1);
    expect(again.get('b')?.n).toBe(2);
  });

  it('does not rewrite a log that is not bloated when it opens', () => {
    const dir = tempDir();
    const s = new DurableStore(dir);
    for (let i = 0; i < 3; i++) s.collection<Doc>('identities').put('a', { id: 'a', etag: String(i), n: i });
    s.close();
    const before = readFileSync(join(dir, 'state.jsonl'), 'utf8');
    new DurableStore(dir).close();
    expect(readFileSync(join(dir, 'state.jsonl'), 'utf8')).toBe(before);
  });

  it('stays empty after clear and a reopen', () => {
    const dir = tempDir();
    const s = new DurableStore(dir);
    s.collection<Doc>('identities').put('a', { id: 'a', etag: '1', n: 1 });
    s.clear();
    s.close();
    expect(new DurableStore(dir).collection<Doc>('identities').size).toBe(0);
  });
});
