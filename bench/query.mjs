// Query engine benchmark: the engine against its floor, a hand-written JS filter/group over the same
// in-memory twins, measured in the same run (ratios, not absolute times, are what this reports).
//
//   npm run build && node bench/query.mjs --smoke     (2,000 twins; prints JSON)
//   node bench/query.mjs                              (100,000 twins)
//
// Exports run({ smoke }) -> { title, rows: [{ name, value, unit, floor, ratio, note }] } for bench/run.mjs.
// Benchmarks are not tests: nothing here asserts a timing. It does check that engine and floor agree.

import v8 from 'node:v8';
import vm from 'node:vm';
import { pathToFileURL } from 'node:url';
import { QueryEngine } from '../packages/hub-emulator/dist/query/index.js';

const REGIONS = ['US', 'EU', 'APAC', 'LATAM'];
const PLANTS = 200;
const STATUSES = ['Success', 'Pending', 'Error'];
const CONNECTIVITY = ['wired', 'wifi', 'cellular', 'lora'];
const STAMP = '2024-03-01T10:00:00.0000000Z';

/** A deterministic generator (no Math.random: runs are comparable). */
function lcg(seed) {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
}

/** $metadata the way the service writes it: a $lastUpdated on every object node. */
function metadataOf(section, version) {
  const walk = (node) => {
    const meta = { $lastUpdated: STAMP };
    if (version !== undefined) meta.$lastUpdatedVersion = version;
    for (const [key, value] of Object.entries(node)) {
      meta[key] = value !== null && typeof value === 'object' && !Array.isArray(value) ? walk(value) : { $lastUpdated: STAMP };
    }
    return meta;
  };
  return walk(section);
}

/** Twins of realistic shape (section 2.1 of the protocol reference), about 1.5 KB of JSON each. */
function generateFleet(count) {
  const next = lcg(42);
  const twins = [];
  for (let i = 0; i < count; i++) {
    const deviceId = `device-${String(i).padStart(6, '0')}`;
    const desiredVersion = 1 + next(5);
    const reportedVersion = 1 + next(50);
    const desired = { telemetryConfig: { sendFrequencyInSecs: 30 * (1 + next(10)), configId: `cfg-${next(5)}` } };
    const reported = {
      connectivity: { type: CONNECTIVITY[next(4)], signal: -40 - next(60) },
      telemetryConfig: { sendFrequencyInSecs: 30 * (1 + next(10)), status: STATUSES[next(3)] },
      lastDesiredVersion: desiredVersion - next(2),
    };
    if (next(3) === 0) reported.firmware = { version: `1.${next(9)}.${next(20)}`, updatedAt: STAMP };
    twins.push({
      deviceId,
      etag: 'AAAAAAAAAAE=',
      deviceEtag: 'NTgwMDg5MDAz',
      status: next(20) === 0 ? 'disabled' : 'enabled',
      statusUpdateTime: '0001-01-01T00:00:00Z',
      connectionState: next(2) === 0 ? 'Connected' : 'Disconnected',
      lastActivityTime: STAMP,
      cloudToDeviceMessageCount: 0,
      authenticationType: 'sas',
      x509Thumbprint: { primaryThumbprint: null, secondaryThumbprint: null },
      modelId: '',
      version: desiredVersion + reportedVersion,
      tags: {
        location: { region: REGIONS[next(4)], plant: `plant-${next(PLANTS)}` },
        environment: next(4) === 0 ? 'test' : 'prod',
        ...(next(5) === 0 ? { maintenance: true } : {}),
      },
      properties: {
        desired: { ...desired, $metadata: metadataOf(desired, desiredVersion), $version: desiredVersion },
        reported: { ...reported, $metadata: metadataOf(reported), $version: reportedVersion },
      },
      capabilities: { iotEdge: next(50) === 0 },
    });
  }
  return twins;
}

function sourcesOf(twins) {
  const devices = new Map(twins.map((t) => [t.deviceId, t]));
  return {
    devices: { list: () => devices.values(), get: (key) => devices.get(key) },
    modules: { list: () => [], get: () => undefined },
    deviceJobs: { list: () => [] },
  };
}

/** Every page of a query, as the SDKs fetch them (pages of 100). */
function allPages(engine, query) {
  const items = [];
  let continuation;
  do {
    const page = engine.execute(query, { pageSize: 100, continuation });
    for (const item of page.items) items.push(item);
    continuation = page.continuation;
  } while (continuation !== undefined);
  return items;
}

/** Median wall time of fn in ms over at least `runs` runs and `minMs` of total time. */
function time(fn, { runs, minMs }) {
  for (let i = 0; i < 3; i++) fn(); // warm-up (JIT, caches, lazy indexes)
  const samples = [];
  const started = performance.now();
  while (samples.length < runs || performance.now() - started < minMs) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
    if (samples.length >= 500) break;
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

function exposeGc() {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc');
}

const round = (x, digits = 3) => Number(x.toPrecision(digits));

export async function run({ smoke = false } = {}) {
  const count = smoke ? 2_000 : 100_000;
  const timing = smoke ? { runs: 5, minMs: 50 } : { runs: 7, minMs: 400 };
  const gc = exposeGc();
  const twins = generateFleet(count);
  const sources = sourcesOf(twins);
  const rows = [];

  // Memory: the snapshot in key order plus one tag equality index, per twin.
  gc();
  const before = process.memoryUsage().heapUsed;
  const engine = new QueryEngine(sources, { secret: 'bench' });
  const t0 = performance.now();
  allPages(engine, "SELECT * FROM devices WHERE deviceId = 'none'"); // nothing to build: point lookups
  allPages(engine, "SELECT * FROM devices WHERE tags.location.plant = 'plant-0'"); // snapshot + one tag index
  const buildMs = performance.now() - t0;
  gc();
  const after = process.memoryUsage().heapUsed;
  rows.push({
    name: 'index memory per twin',
    value: round((after - before) / count),
    unit: 'bytes/twin',
    floor: null,
    ratio: null,
    note: `heap delta after building the key-ordered snapshot and one tag index over ${count} twins`,
  });
  rows.push({
    name: 'first tag query (builds snapshot + index)',
    value: round(buildMs),
    unit: 'ms',
    floor: null,
    ratio: null,
    note: 'one-off cost, then kept current by onTwinChanged',
  });

  const compare = (name, query, floorFn, target, check = (a, b) => a.length === b.length) => {
    const engineItems = allPages(engine, query);
    const floorItems = floorFn();
    if (!check(engineItems, floorItems)) {
      throw new Error(`${name}: the engine and the floor disagree (${engineItems.length} vs ${floorItems.length} items)`);
    }
    const value = time(() => allPages(engine, query), timing);
    const floor = time(floorFn, timing);
    rows.push({
      name,
      value: round(value),
      unit: 'ms',
      floor: round(floor),
      ratio: round(value / floor),
      note: `${engineItems.length} rows; ${target}; query: ${query}`,
    });
  };

  // Filters and groups against hand-written JS over the same objects (target: ratio <= 2).
  compare(
    'WHERE on nested paths',
    "SELECT * FROM devices WHERE properties.reported.telemetryConfig.sendFrequencyInSecs >= 120 AND properties.reported.connectivity.type = 'wifi'",
    () => twins.filter((t) => t.properties.reported.telemetryConfig?.sendFrequencyInSecs >= 120 && t.properties.reported.connectivity?.type === 'wifi'),
    'target ratio <= 2 vs a JS filter',
  );
  const wanted = new Set(['wired', 'wifi']);
  compare(
    'IN',
    "SELECT * FROM devices WHERE properties.reported.connectivity.type IN ['wired', 'wifi']",
    () => twins.filter((t) => wanted.has(t.properties.reported.connectivity?.type)),
    'target ratio <= 2 vs a JS filter',
  );
  compare(
    'IS_DEFINED',
    'SELECT * FROM devices WHERE IS_DEFINED(properties.reported.firmware.version)',
    () => twins.filter((t) => t.properties.reported.firmware?.version !== undefined),
    'target ratio <= 2 vs a JS filter',
  );
  compare(
    'projection',
    "SELECT deviceId, properties.reported.telemetryConfig.status AS status FROM devices WHERE connectionState = 'Connected'",
    () =>
      twins
        .filter((t) => t.connectionState === 'Connected')
        .map((t) => ({ deviceId: t.deviceId, status: t.properties.reported.telemetryConfig?.status })),
    'target ratio <= 2 vs a JS filter/map',
  );
  compare(
    'GROUP BY with COUNT()',
    'SELECT properties.reported.telemetryConfig.status AS status, COUNT() AS n FROM devices GROUP BY properties.reported.telemetryConfig.status',
    () => {
      const groups = new Map();
      for (const t of twins) {
        const key = t.properties.reported.telemetryConfig?.status;
        groups.set(key, (groups.get(key) ?? 0) + 1);
      }
      return [...groups].map(([status, n]) => (status === undefined ? { n } : { status, n }));
    },
    'target ratio <= 2 vs a JS Map group',
  );
  compare(
    'GROUP BY with COUNT(), AVG, MAX',
    'SELECT tags.location.region AS region, COUNT() AS n, AVG(properties.reported.telemetryConfig.sendFrequencyInSecs) AS avg, MAX(properties.reported.$version) AS maxVersion FROM devices GROUP BY tags.location.region',
    () => {
      const groups = new Map();
      for (const t of twins) {
        const key = t.tags?.location?.region;
        let g = groups.get(key);
        if (g === undefined) groups.set(key, (g = { n: 0, sum: 0, count: 0, max: -Infinity }));
        g.n++;
        const f = t.properties.reported.telemetryConfig?.sendFrequencyInSecs;
        if (typeof f === 'number') {
          g.sum += f;
          g.count++;
        }
        g.max = Math.max(g.max, t.properties.reported.$version);
      }
      return [...groups].map(([region, g]) => ({ region, n: g.n, avg: g.sum / g.count, maxVersion: g.max }));
    },
    'target ratio <= 2 vs a JS Map group',
  );

  // Selective queries served by indexes, against a full scan (target: ratio <= 0.1, i.e. 10x faster).
  const oneId = `device-${String(Math.floor(count * 0.4242)).padStart(6, '0')}`;
  compare(
    'deviceId = (index)',
    `SELECT * FROM devices WHERE deviceId = '${oneId}'`,
    () => twins.filter((t) => t.deviceId === oneId),
    'target ratio <= 0.1 vs a full JS scan',
  );
  const tenIds = Array.from({ length: 10 }, (_, i) => `device-${String(Math.floor((count * i) / 10) + 7).padStart(6, '0')}`);
  const tenSet = new Set(tenIds);
  compare(
    'deviceId IN [10 ids] (index)',
    `SELECT * FROM devices WHERE deviceId IN [${tenIds.map((id) => `'${id}'`).join(', ')}]`,
    () => twins.filter((t) => tenSet.has(t.deviceId)),
    'target ratio <= 0.1 vs a full JS scan',
  );
  compare(
    'tag equality (index)',
    "SELECT * FROM devices WHERE tags.location.plant = 'plant-17'",
    () => twins.filter((t) => t.tags?.location?.plant === 'plant-17'),
    'target ratio <= 0.1 vs a full JS scan',
  );
  compare(
    'tag equality AND reported (index + filter)',
    "SELECT * FROM devices WHERE tags.location.plant = 'plant-17' AND properties.reported.telemetryConfig.status = 'Error'",
    () => twins.filter((t) => t.tags?.location?.plant === 'plant-17' && t.properties.reported.telemetryConfig?.status === 'Error'),
    'target ratio <= 0.1 vs a full JS scan',
  );

  return { title: `Query engine vs hand-written JS (${count.toLocaleString('en-US')} twins)`, rows };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await run({ smoke: process.argv.includes('--smoke') });
  console.log(JSON.stringify(result, null, 2));
}
