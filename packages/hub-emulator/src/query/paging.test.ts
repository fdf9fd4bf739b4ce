import type { Twin } from '@hubemu/shared';
import { describe, expect, it } from 'vitest';
import { makeTwin, memorySources, type MemorySources } from './conformance.fixtures.js';
import { generateFleet } from './fleet.fixtures.js';
import { QueryEngine, type QueryPage } from './query-engine.js';
import { hubErrorOf } from '../../../shared/src/hub-error.fixtures.js';

function fleet(count: number): { sources: MemorySources; engine: QueryEngine } {
  const sources = memorySources(generateFleet(count), [], []);
  return { sources, engine: new QueryEngine(sources, { secret: 'paging-secret' }) };
}

const idsOf = (page: QueryPage): string[] => page.items.map((t) => (t as Twin).deviceId);

/** A writer that keeps the source and the engine in step, as the twin service does. */
function writer(sources: MemorySources, engine: QueryEngine) {
  return {
    put(twin: Twin): void {
      sources.deviceMap.set(twin.deviceId, twin);
      engine.onTwinChanged('devices', twin.deviceId, twin);
    },
    remove(deviceId: string): void {
      sources.deviceMap.delete(deviceId);
      engine.onTwinChanged('devices', deviceId, undefined);
    },
  };
}

describe('paging', () => {
  it('returns 250 twins as pages of 100, 100 and 50, with a continuation only while more remain', () => {
    const { engine } = fleet(250);
    const first = engine.execute('SELECT * FROM devices', { pageSize: 100 });
    const second = engine.execute('SELECT * FROM devices', { pageSize: 100, continuation: first.continuation });
    const third = engine.execute('SELECT * FROM devices', { pageSize: 100, continuation: second.continuation });
    expect([first.items.length, second.items.length, third.items.length]).toEqual([100, 100, 50]);
    expect(first.continuation).toBeTypeOf('string');
    expect(second.continuation).toBeTypeOf('string');
    expect(third.continuation).toBeUndefined();
    expect('continuation' in third).toBe(false);
    const all = [...idsOf(first), ...idsOf(second), ...idsOf(third)];
    expect(new Set(all).size).toBe(250);
    expect(all).toEqual([...all].sort());
    expect(first.itemType).toBe('twin');
  });

  it('omits the continuation when the last page is exactly full', () => {
    const { engine } = fleet(200);
    const first = engine.execute('SELECT * FROM devices', { pageSize: 100 });
    const second = engine.execute('SELECT * FROM devices', { pageSize: 100, continuation: first.continuation });
    expect(second.items).toHaveLength(100);
    expect(second.continuation).toBeUndefined();
  });

  it('returns an empty page without a continuation when nothing matches', () => {
    const { engine } = fleet(10);
    expect(engine.execute("SELECT * FROM devices WHERE deviceId = 'none'")).toEqual({ items: [], itemType: 'twin' });
  });

  it('uses pages of 100 by default and clamps larger requests to 100', () => {
    const { engine } = fleet(250);
    expect(engine.execute('SELECT * FROM devices').items).toHaveLength(100);
    expect(engine.execute('SELECT * FROM devices', { pageSize: 1000 }).items).toHaveLength(100);
    expect(engine.execute('SELECT * FROM devices', { pageSize: 7 }).items).toHaveLength(7);
  });

  it('refuses a page size that is not a whole number from 1', () => {
    const { engine } = fleet(3);
    for (const pageSize of [0, -1, 1.5, Number.NaN]) {
      const error = hubErrorOf(() => engine.execute('SELECT * FROM devices', { pageSize }));
      expect(error.errorCode).toBe('ArgumentInvalid');
      expect(error.message).toMatch(/page size must be a whole number from 1 to 100/);
    }
  });

  it('neither skips nor repeats a twin when twins are added and removed between pages', () => {
    const { sources, engine } = fleet(250);
    const write = writer(sources, engine);
    const query = 'SELECT * FROM devices';
    const first = engine.execute(query, { pageSize: 100 });
    const seen = idsOf(first);
    // Remove a twin already returned and one not yet returned; add one before and one after the cursor.
    write.remove(seen[10] as string);
    write.remove('dev-00150');
    write.put(makeTwin({ deviceId: 'dev-00050-late' }));
    write.put(makeTwin({ deviceId: 'dev-00199-late' }));
    // A twin not yet returned changes: it is returned once, in its new state.
    write.put(makeTwin({ deviceId: 'dev-00120', tags: { changed: true } }));

    let continuation = first.continuation;
    const rest: Twin[] = [];
    while (continuation !== undefined) {
      const page = engine.execute(query, { pageSize: 100, continuation });
      rest.push(...(page.items as Twin[]));
      continuation = page.continuation;
    }
    const restIds = rest.map((t) => t.deviceId);
    const all = [...seen, ...restIds];
    expect(new Set(all).size).toBe(all.length);
    expect(restIds).toContain('dev-00199-late');
    expect(restIds).not.toContain('dev-00050-late');
    expect(restIds).not.toContain('dev-00150');
    for (let i = 0; i < 250; i++) {
      const id = `dev-${String(i).padStart(5, '0')}`;
      if (id !== 'dev-00150' && id !== seen[10]) expect(all).toContain(id);
    }
    expect(rest.find((t) => t.deviceId === 'dev-00120')?.tags).toEqual({ changed: true });
  });

  it('keeps an index-served query stable while a tag changes between pages', () => {
    const twins = Array.from({ length: 150 }, (_, i) =>
      makeTwin({ deviceId: `t-${String(i).padStart(3, '0')}`, tags: { group: i % 3 === 0 ? 'a' : 'b' } }),
    );
    const sources = memorySources(twins, [], []);
    const engine = new QueryEngine(sources);
    const write = writer(sources, engine);
    const query = "SELECT deviceId FROM devices WHERE tags.[[group]] = 'a'";
    const first = engine.execute(query, { pageSize: 20 });
    expect(first.items).toHaveLength(20);
    write.put(makeTwin({ deviceId: 't-149', tags: { group: 'a' } }));
    write.put(makeTwin({ deviceId: 't-120', tags: { group: 'b' } }));
    const ids: string[] = (first.items as Array<{ deviceId: string }>).map((r) => r.deviceId);
    let continuation = first.continuation;
    while (continuation !== undefined) {
      const page = engine.execute(query, { pageSize: 20, continuation });
      ids.push(...(page.items as Array<{ deviceId: string }>).map((r) => r.deviceId));
      continuation = page.continuation;
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toContain('t-149');
    expect(ids).not.toContain('t-120');
    expect(ids).toHaveLength(50);
  });

  it('stops TOP n across pages and never offers a page beyond it', () => {
    const { engine } = fleet(250);
    const query = 'SELECT TOP 150 * FROM devices';
    const first = engine.execute(query, { pageSize: 100 });
    const second = engine.execute(query, { pageSize: 100, continuation: first.continuation });
    expect(first.items).toHaveLength(100);
    expect(second.items).toHaveLength(50);
    expect(second.continuation).toBeUndefined();
    const exact = engine.execute('SELECT TOP 100 * FROM devices', { pageSize: 100 });
    expect(exact.continuation).toBeUndefined();
  });

  it('pages projections as raw items in key order', () => {
    const { engine } = fleet(120);
    const first = engine.execute('SELECT deviceId FROM devices', { pageSize: 100 });
    const second = engine.execute('SELECT deviceId FROM devices', { pageSize: 100, continuation: first.continuation });
    expect(first.itemType).toBe('raw');
    expect(first.items[0]).toEqual({ deviceId: 'dev-00000' });
    expect(second.items).toHaveLength(20);
    expect(second.continuation).toBeUndefined();
  });

  it('pages GROUP BY rows in the order of their values', () => {
    const twins = Array.from({ length: 260 }, (_, i) => makeTwin({ deviceId: `g-${i}`, tags: { n: i % 130 } }));
    const engine = new QueryEngine(memorySources(twins, [], []));
    const query = 'SELECT tags.n AS n, COUNT() AS c FROM devices GROUP BY tags.n';
    const first = engine.execute(query, { pageSize: 100 });
    const second = engine.execute(query, { pageSize: 100, continuation: first.continuation });
    expect(first.itemType).toBe('raw');
    expect(first.items).toHaveLength(100);
    expect(second.items).toHaveLength(30);
    expect(second.continuation).toBeUndefined();
    const rows = [...first.items, ...second.items] as Array<{ n: number; c: number }>;
    expect(rows.map((r) => r.n)).toEqual(Array.from({ length: 130 }, (_, i) => i));
    expect(rows.every((r) => r.c === 2)).toBe(true);
  });

  it('pages loose ORDER BY results by sort values, then key', () => {
    const twins = Array.from({ length: 30 }, (_, i) => makeTwin({ deviceId: `o-${String(i).padStart(2, '0')}`, tags: { rank: i % 4 } }));
    const engine = new QueryEngine(memorySources(twins, [], []), { loose: true });
    const query = 'SELECT deviceId, tags.rank FROM devices ORDER BY tags.rank DESC';
    const rows: Array<{ deviceId: string; rank: number }> = [];
    let continuation: string | undefined;
    do {
      const page = engine.execute(query, { pageSize: 7, continuation });
      rows.push(...(page.items as typeof rows));
      continuation = page.continuation;
    } while (continuation !== undefined);
    const expected = [...rows].sort((a, b) => b.rank - a.rank || (a.deviceId < b.deviceId ? -1 : 1));
    expect(rows).toEqual(expected);
    expect(rows).toHaveLength(30);
  });

  it('pages module twins and job rows with their item types', () => {
    const modules = Array.from({ length: 130 }, (_, i) => makeTwin({ deviceId: `d-${i % 13}`, moduleId: `m-${i}` }));
    const jobs = Array.from({ length: 105 }, (_, i) => ({
      deviceId: `d-${i}`,
      jobId: 'job',
      jobType: 'scheduleDeviceMethod' as const,
      status: 'completed' as const,
      startTimeUtc: '',
      endTimeUtc: '',
      createdDateTimeUtc: '',
      lastUpdatedDateTimeUtc: '',
      outcome: null,
    }));
    const engine = new QueryEngine(memorySources([], modules, jobs));
    const m1 = engine.execute('SELECT * FROM devices.modules');
    const m2 = engine.execute('SELECT * FROM devices.modules', { continuation: m1.continuation });
    expect(m1.itemType).toBe('twin');
    expect(m1.items.length + m2.items.length).toBe(130);
    expect(m2.continuation).toBeUndefined();
    const j1 = engine.execute('SELECT * FROM devices.jobs');
    const j2 = engine.execute('SELECT * FROM devices.jobs', { continuation: j1.continuation });
    expect(j1.itemType).toBe('deviceJob');
    expect(j1.items.length + j2.items.length).toBe(105);
  });
});

describe('continuation tokens', () => {
  it('refuses a token whose content was altered', () => {
    const { engine } = fleet(150);
    const token = engine.execute('SELECT * FROM devices').continuation as string;
    const [payload, signature] = token.split('.') as [string, string];
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${Buffer.from(JSON.stringify({ ...decoded, a: 'dev-00000' })).toString('base64url')}.${signature}`;
    const error = hubErrorOf(() => engine.execute('SELECT * FROM devices', { continuation: forged }));
    expect(error.errorCode).toBe('ArgumentInvalid');
    expect(error.message).toBe(
      'Invalid continuation token: its signature does not match (it was altered, or issued by another hub)',
    );
  });

  it('refuses a token issued for another query', () => {
    const { engine } = fleet(150);
    const token = engine.execute('SELECT * FROM devices').continuation;
    const error = hubErrorOf(() => engine.execute('SELECT deviceId FROM devices', { continuation: token }));
    expect(error.message).toBe(
      'Invalid continuation token: it was issued for a different query - send the same query text with its continuation token',
    );
  });

  it('refuses tokens of an engine with another secret and accepts those of one with the same secret', () => {
    const { sources, engine } = fleet(150);
    const token = engine.execute('SELECT * FROM devices').continuation;
    const other = new QueryEngine(sources, { secret: 'another-secret' });
    expect(hubErrorOf(() => other.execute('SELECT * FROM devices', { continuation: token })).errorCode).toBe('ArgumentInvalid');
    const restarted = new QueryEngine(sources, { secret: 'paging-secret' });
    expect(restarted.execute('SELECT * FROM devices', { continuation: token }).items).toHaveLength(50);
  });

  it('refuses garbage as malformed', () => {
    const { engine } = fleet(5);
    for (const token of ['garbage', 'a.b.c', '.sig']) {
      const error = hubErrorOf(() => engine.execute('SELECT * FROM devices', { continuation: token }));
      expect(error.errorCode).toBe('ArgumentInvalid');
      expect(error.message).toMatch(/^Invalid continuation token: /);
    }
  });

  it('reads an empty continuation as the first page', () => {
    const { engine } = fleet(5);
    expect(engine.execute('SELECT * FROM devices', { continuation: '' }).items).toHaveLength(5);
  });
});
