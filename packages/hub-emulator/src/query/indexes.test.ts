import type { Twin } from '@hubemu/shared';
import { describe, expect, it } from 'vitest';
import { compileCondition } from './compile-expression.js';
import { makeTwin, memorySources, type MemorySources } from './conformance.fixtures.js';
import { generateFleet } from './fleet.fixtures.js';
import { parseCondition } from './parser.js';
import { QueryEngine } from './query-engine.js';
import { MAX_TAG_INDEXES } from './twin-collection.js';

/** The answer of a full scan: every twin of the source that the condition selects, by key. */
function scan(sources: MemorySources, condition: string, modules = false): string[] {
  const test = compileCondition(parseCondition(condition, { collection: modules ? 'devices.modules' : 'devices' }));
  const twins = [...(modules ? sources.moduleMap : sources.deviceMap).values()].filter(test);
  // Pages walk module twins by (deviceId, moduleId), devices by deviceId.
  twins.sort((a, b) => byCodeUnits(a.deviceId, b.deviceId) || byCodeUnits(a.moduleId ?? '', b.moduleId ?? ''));
  return twins.map((t) => (modules ? `${t.deviceId}/${t.moduleId}` : t.deviceId));
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function query(engine: QueryEngine, text: string): string[] {
  const out: string[] = [];
  let continuation: string | undefined;
  do {
    const page = engine.execute(text, { continuation });
    out.push(...(page.items as Twin[]).map((t) => (t.moduleId !== undefined ? `${t.deviceId}/${t.moduleId}` : t.deviceId)));
    continuation = page.continuation;
  } while (continuation !== undefined);
  return out;
}

const CONDITIONS = [
  "deviceId = 'dev-00042'",
  "'dev-00042' = deviceId",
  "deviceId IN ['dev-00001', 'dev-00999', 'nope', 'dev-00001', 'dev-00500']",
  'deviceId IN []',
  "deviceId = 'dev-00042' AND tags.floor = 2",
  "tags.location.region = 'EU'",
  "tags.location.plant = 'plant-7'",
  'tags.floor = 0',
  "tags.floor = '0'",
  'tags.maintenance = true',
  "tags.location.region IN ['US', 'APAC']",
  "tags.location.region = 'EU' AND tags.floor = 3",
  "tags.location.region = 'EU' AND properties.reported.telemetryConfig.status = 'Error'",
  "tags.location.plant = 'plant-3' OR deviceId = 'dev-00007'",
  "tags.location.plant = 'plant-3' OR connectionState = 'Connected'",
  "(deviceId = 'dev-00010' OR deviceId = 'dev-00020') AND tags.location.region = 'US'",
  "tags.location.region = 'EU' AND tags.location.region = 'US'",
  'tags.location = 1',
  "tags.location.region = 'Nowhere'",
] as const;

describe('indexes', () => {
  it.each(CONDITIONS)('answer %s exactly as a full scan does', (condition) => {
    const sources = memorySources(generateFleet(2000, 7), [], []);
    const engine = new QueryEngine(sources);
    expect(query(engine, `SELECT * FROM devices WHERE ${condition}`)).toEqual(scan(sources, condition));
    expect(engine.matchDevices(condition).map((t) => t.deviceId)).toEqual(scan(sources, condition));
  });

  it('stay equal to a full scan while twins are updated, added and deleted', () => {
    const sources = memorySources(generateFleet(1000, 11), [], []);
    const engine = new QueryEngine(sources);
    for (const condition of CONDITIONS) query(engine, `SELECT * FROM devices WHERE ${condition}`); // build every index
    const put = (twin: Twin): void => {
      sources.deviceMap.set(twin.deviceId, twin);
      engine.onTwinChanged('devices', twin.deviceId, twin);
    };
    const remove = (id: string): void => {
      sources.deviceMap.delete(id);
      engine.onTwinChanged('devices', id, undefined);
    };
    for (let round = 0; round < 5; round++) {
      for (let i = round; i < 1000; i += 37) {
        const id = `dev-${String(i).padStart(5, '0')}`;
        if (i % 3 === 0) remove(id);
        else put(makeTwin({ deviceId: id, tags: { location: { region: 'EU', plant: 'plant-3' }, floor: round } }));
      }
      put(makeTwin({ deviceId: `new-${round}`, tags: { location: { region: 'US', plant: 'plant-7' }, floor: 0 } }));
      put(makeTwin({ deviceId: 'dev-00042', tags: { floor: round } }));
      for (const condition of CONDITIONS) {
        expect(query(engine, `SELECT * FROM devices WHERE ${condition}`), condition).toEqual(scan(sources, condition));
      }
    }
  });

  it('stay right when the twin service mutates twin objects in place', () => {
    const twins = generateFleet(200, 3);
    const sources = memorySources(twins, [], []);
    const engine = new QueryEngine(sources);
    const condition = "tags.location.region = 'EU'";
    expect(query(engine, `SELECT * FROM devices WHERE ${condition}`)).toEqual(scan(sources, condition));
    for (const twin of twins.slice(0, 50)) {
      twin.tags = { location: { region: twin.tags === undefined ? 'EU' : 'US' } };
      engine.onTwinChanged('devices', twin.deviceId, twin);
    }
    expect(query(engine, `SELECT * FROM devices WHERE ${condition}`)).toEqual(scan(sources, condition));
  });

  it('ignore changes reported before the first query (the first query reads the source)', () => {
    const sources = memorySources(generateFleet(50), [], []);
    const engine = new QueryEngine(sources);
    const twin = makeTwin({ deviceId: 'late', tags: { location: { region: 'EU' } } });
    sources.deviceMap.set('late', twin);
    engine.onTwinChanged('devices', 'late', twin);
    expect(query(engine, "SELECT * FROM devices WHERE tags.location.region = 'EU'")).toContain('late');
  });

  it('serve deviceId equality by key lookups without listing the collection', () => {
    const sources = memorySources(generateFleet(100), [], []);
    let listed = 0;
    const engine = new QueryEngine({
      ...sources,
      devices: {
        list: () => {
          listed++;
          return sources.deviceMap.values();
        },
        get: (key) => sources.deviceMap.get(key),
      },
    });
    expect(query(engine, "SELECT * FROM devices WHERE deviceId IN ['dev-00003', 'dev-00004']")).toEqual(['dev-00003', 'dev-00004']);
    expect(engine.matchDevices("deviceId = 'dev-00009'").map((t) => t.deviceId)).toEqual(['dev-00009']);
    expect(listed).toBe(0);
  });

  it('read only the twins holding the value once a tag index exists', () => {
    const twins = generateFleet(1000, 5);
    let reads = 0;
    const counted = twins.map(
      (twin) =>
        new Proxy(twin, {
          get(target, property, receiver) {
            if (property === 'tags' || property === 'properties') reads++;
            return Reflect.get(target, property, receiver) as unknown;
          },
        }),
    );
    const sources = memorySources(counted, [], []);
    const engine = new QueryEngine(sources);
    const text = "SELECT * FROM devices WHERE tags.location.plant = 'plant-4' AND properties.reported.telemetryConfig.status = 'Error'";
    const expected = scan(sources, "tags.location.plant = 'plant-4' AND properties.reported.telemetryConfig.status = 'Error'");
    expect(query(engine, text)).toEqual(expected); // builds the index (one pass over the fleet)
    reads = 0;
    expect(query(engine, text)).toEqual(expected);
    const holding = twins.filter((t) => (t.tags?.location as { plant?: string } | undefined)?.plant === 'plant-4').length;
    expect(holding).toBeLessThan(100);
    expect(reads).toBeLessThanOrEqual(2 * holding);
  });

  it('serve deviceId conditions on modules from the key range of each device', () => {
    const modules = Array.from({ length: 300 }, (_, i) =>
      makeTwin({ deviceId: `d-${i % 30}`, moduleId: `m-${i}`, tags: { kind: i % 2 === 0 ? 'even' : 'odd' } }),
    );
    modules.push(makeTwin({ deviceId: 'd-1-x', moduleId: 'm-a' }), makeTwin({ deviceId: 'd-1', moduleId: 'm-$' }));
    const sources = memorySources([], modules, []);
    const engine = new QueryEngine(sources);
    for (const condition of [
      "deviceId = 'd-1'",
      "deviceId IN ['d-1', 'd-1-x', 'd-10']",
      "deviceId = 'd-1' AND moduleId = 'm-31'",
      "moduleId = 'm-31'",
      "deviceId = 'd-2' AND tags.kind = 'even'",
      "tags.kind = 'odd' AND deviceId IN ['d-3', 'd-5']",
    ]) {
      expect(query(engine, `SELECT * FROM devices.modules WHERE ${condition}`), condition).toEqual(scan(sources, condition, true));
    }
  });

  it('fall back to scans with the same answers once the index budget is spent', () => {
    const twins = Array.from({ length: 200 }, (_, i) => {
      const tags: Record<string, number> = {};
      for (let k = 0; k < MAX_TAG_INDEXES + 4; k++) tags[`t${k}`] = (i + k) % 5;
      return makeTwin({ deviceId: `b-${i}`, tags });
    });
    const sources = memorySources(twins, [], []);
    const engine = new QueryEngine(sources);
    for (let k = 0; k < MAX_TAG_INDEXES + 4; k++) {
      const condition = `tags.t${k} = 2`;
      expect(query(engine, `SELECT * FROM devices WHERE ${condition}`)).toEqual(scan(sources, condition));
    }
  });
});
