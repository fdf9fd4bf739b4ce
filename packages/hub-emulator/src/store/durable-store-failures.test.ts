import { closeSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hubErrorOf } from '../../../shared/src/hub-error.fixtures.js';
import { describe, expect, it } from 'vitest';
import { DurableStore } from './durable-store.js';
import type { StoreNotice } from './store-notice.js';
import { fillDisk, storesInTestDirs } from './store-test-dirs.fixtures.js';

interface Doc {
  n: number;
  pad?: string;
}

const { dirs, stores } = storesInTestDirs();

function open(dir: string, checkIntervalMs?: number): { store: DurableStore; notices: StoreNotice[] } {
  const notices: StoreNotice[] = [];
  const store = new DurableStore(dir, { onNotice: (n) => notices.push(n), ...(checkIntervalMs ? { checkIntervalMs } : {}) });
  stores.push(store);
  return { store, notices };
}

/** What a restarted hub would read back. */
function reopen(dir: string): DurableStore {
  return open(dir).store;
}

function logLines(dir: string): unknown[] {
  const text = readFileSync(join(dir, 'state.jsonl'), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.trimEnd().split('\n').map((line) => JSON.parse(line) as unknown);
}

describe('DurableStore on a full disk', () => {
  it('refuses a write that does not fit with ServiceUnavailable, keeps the log whole and brings back only acknowledged writes', () => {
    const dir = dirs.smallDisk(256);
    const { store, notices } = open(dir);
    const docs = store.collection<Doc>('identities');
    docs.put('a', { n: 1 });
    fillDisk(dir);
    // Big enough that the disk takes part of it (a short write) before it runs out.
    const error = hubErrorOf(() => docs.put('a', { n: 2, pad: 'x'.repeat(64 * 1024) }));
    expect(error.status).toBe(503);
    expect(error.code).toBe(503001);
    expect(docs.get('a')).toEqual({ n: 1 });
    expect(logLines(dir)).toEqual([{ c: 'identities', k: 'a', v: { n: 1 } }]);
    expect(notices.map((n) => [n.level, n.kind])).toEqual([['error', 'writeRefused']]);
    store.close();
    expect(reopen(dir).collection<Doc>('identities').get('a')).toEqual({ n: 1 });
  });

  it('accepts writes again once the disk has room, and says so once', () => {
    const dir = dirs.smallDisk(256);
    const { store, notices } = open(dir);
    const docs = store.collection<Doc>('identities');
    const filler = fillDisk(dir);
    for (let i = 0; i < 3; i++) expect(hubErrorOf(() => docs.put(`k${i}`, { n: i, pad: 'x'.repeat(8192) })).status).toBe(503);
    rmSync(filler);
    docs.put('k9', { n: 9, pad: 'y' });
    expect(notices.map((n) => n.kind)).toEqual(['writeRefused', 'writesRecovered']);
    store.close();
    const again = reopen(dir).collection<Doc>('identities');
    expect([...again.keys()]).toEqual(['k9']);
  });
});

describe('DurableStore when compaction fails', () => {
  const bloat = (docs: { put(key: string, value: Doc): void }, from: number, count: number): void => {
    for (let i = from; i < from + count; i++) docs.put('a', { n: i });
  };

  it('keeps the old log in use and intact, reports it, writes nowhere else, and compacts on a later try', () => {
    const dir = dirs.dir();
    const { store, notices } = open(dir);
    const docs = store.collection<Doc>('identities');
    dirs.immutable(dir); // the fresh log cannot be created next to the old one
    bloat(docs, 0, 20_001);
    expect(notices.map((n) => [n.level, n.kind])).toEqual([['error', 'compactionFailed']]);
    // A descriptor opened now would get the number a closed log descriptor had: nothing may be written to it.
    const stranger = join(dirs.dir(), 'stranger');
    const fd = openSync(stranger, 'w');
    try {
      docs.put('a', { n: 99_999 });
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(stranger, 'utf8')).toBe('');
    expect(logLines(dir)).toHaveLength(20_002);
    dirs.immutable(dir, false);
    bloat(docs, 100_000, 1_000);
    expect(notices).toHaveLength(1);
    expect(logLines(dir).length).toBeLessThan(1_000);
    store.close();
    expect(reopen(dir).collection<Doc>('identities').get('a')).toEqual({ n: 100_999 });
  });

  it('keeps the write that triggered a compaction', () => {
    const dir = dirs.dir();
    const { store } = open(dir);
    const docs = store.collection<Doc>('identities');
    bloat(docs, 0, 20_001); // the 20,001st line triggers the compaction
    store.close();
    expect(reopen(dir).collection<Doc>('identities').get('a')).toEqual({ n: 20_000 });
  });

  it('refuses to empty the state when the empty log cannot be written, and keeps the data', () => {
    const dir = dirs.dir();
    const { store } = open(dir);
    store.collection<Doc>('identities').put('a', { n: 1 });
    dirs.immutable(dir);
    expect(hubErrorOf(() => store.clear()).status).toBe(503);
    expect(store.collection<Doc>('identities').get('a')).toEqual({ n: 1 });
    store.close();
  });
});

describe('DurableStore whose log disappears', () => {
  it('refuses writes once the log file was deleted under it', async () => {
    const dir = dirs.dir();
    const { store, notices } = open(dir, 10);
    const docs = store.collection<Doc>('identities');
    docs.put('a', { n: 1 });
    rmSync(join(dir, 'state.jsonl'));
    await expect.poll(() => notices.map((n) => n.kind)).toEqual(['logLost']);
    expect(hubErrorOf(() => docs.put('a', { n: 2 })).status).toBe(503);
    expect(docs.get('a')).toEqual({ n: 1 });
    store.close();
  });

  it('refuses writes once the log file was replaced by another file', async () => {
    const dir = dirs.dir();
    const { store, notices } = open(dir, 10);
    const docs = store.collection<Doc>('identities');
    docs.put('a', { n: 1 });
    writeFileSync(join(dir, 'other'), '');
    renameSync(join(dir, 'other'), join(dir, 'state.jsonl'));
    await expect.poll(() => notices.map((n) => n.kind)).toEqual(['logLost']);
    expect(hubErrorOf(() => docs.put('a', { n: 2 })).status).toBe(503);
    expect(readFileSync(join(dir, 'state.jsonl'), 'utf8')).toBe('');
    store.close();
  });

  it('refuses writes after close instead of writing to a closed descriptor, and closes twice without failing', () => {
    const { store } = open(dirs.dir());
    store.close();
    expect(hubErrorOf(() => store.collection<Doc>('identities').put('a', { n: 1 })).status).toBe(503);
    expect(() => store.close()).not.toThrow();
  });
});
