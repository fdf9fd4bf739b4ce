import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DurableStore, type DurableStoreOptions } from './durable-store.js';
import { HUB_RECORD_SCHEMAS } from './record-schemas.js';
import { StateCorruptError, type StoreNotice } from './store-notice.js';
import { storesInTestDirs } from './store-test-dirs.fixtures.js';

const { dirs, stores } = storesInTestDirs();

const good = (key: string, n: number): string => `${JSON.stringify({ c: 'meta', k: key, v: String(n) })}\n`;

function logWith(...lines: string[]): string {
  const dir = dirs.dir();
  writeFileSync(join(dir, 'state.jsonl'), lines.join(''));
  return dir;
}

function open(dir: string, options: DurableStoreOptions = {}): { store: DurableStore; notices: StoreNotice[] } {
  const notices: StoreNotice[] = [];
  const store = new DurableStore(dir, { schemas: HUB_RECORD_SCHEMAS, onNotice: (n) => notices.push(n), ...options });
  stores.push(store);
  return { store, notices };
}

function corruption(dir: string): StateCorruptError {
  try {
    open(dir);
  } catch (error) {
    if (error instanceof StateCorruptError) return error;
    throw error;
  }
  throw new Error('the store opened');
}

describe('DurableStore replay', () => {
  it('refuses to open a log with a null line, naming the file, the line and the reason', () => {
    const dir = logWith(good('a', 1), 'null\n', good('b', 2));
    const error = corruption(dir);
    expect(error.file).toBe(join(dir, 'state.jsonl'));
    expect(error.line).toBe(2);
    expect(error.reason).toMatch(/^not a log record/);
    expect(error.message).toContain(`${join(dir, 'state.jsonl')}:2: not a log record`);
    expect(error.message).toContain('--repair-state');
  });

  it('refuses an identity record the registry could not read, naming the field', () => {
    const dir = logWith(`${JSON.stringify({ c: 'identities', k: 'd1', v: { deviceId: 'd1', twin: 'oops' } })}\n`);
    const error = corruption(dir);
    expect(error.line).toBe(1);
    expect(error.reason).toMatch(/^bad identities record 'd1' \(/);
  });

  it('refuses a line a flipped byte made unreadable, and a file of noise', () => {
    const flipped = good('a', 1).replace('"k"', '"k\u0001');
    expect(corruption(logWith(good('x', 0), flipped)).line).toBe(2);
    const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 131 + 7) % 256).filter((b) => b !== 0x0a));
    const noise = logWith(`${bytes.toString('latin1')}\n`);
    expect(corruption(noise).reason).toMatch(/^not JSON/);
  });

  it('cuts a torn last line and says so', () => {
    const dir = logWith(good('a', 1), '{"c":"meta","k":"b","v":"2');
    const { store, notices } = open(dir);
    expect(store.collection<string>('meta').get('a')).toBe('1');
    expect(store.collection<string>('meta').has('b')).toBe(false);
    expect(notices).toEqual([expect.objectContaining({ level: 'warn', kind: 'tornLineCut', line: 2 })]);
    expect(readFileSync(join(dir, 'state.jsonl'), 'utf8')).toBe(good('a', 1));
  });

  it('with repair, moves bad records aside next to the log, starts with the rest, and starts cleanly after that', () => {
    const dir = logWith(good('a', 1), 'null\n', good('b', 2), '{"c":"nowhere","k":"x"}\n');
    const { store, notices } = open(dir, { repair: true });
    expect([...store.collection<string>('meta').keys()]).toEqual(['a', 'b']);
    expect(notices).toEqual([expect.objectContaining({ level: 'warn', kind: 'recordsMovedAside' })]);
    const rejected = readFileSync(join(dir, 'state.rejected.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { line: number; raw: string });
    expect(rejected.map((r) => [r.line, r.raw])).toEqual([
      [2, 'null'],
      [4, '{"c":"nowhere","k":"x"}'],
    ]);
    store.close();
    const again = open(dir);
    expect(again.store.collection<string>('meta').get('b')).toBe('2');
    expect(again.notices).toEqual([]);
  });

  it('does not create a rejected file when every record is good', () => {
    const dir = logWith(good('a', 1));
    open(dir, { repair: true });
    expect(existsSync(join(dir, 'state.rejected.jsonl'))).toBe(false);
  });
});
