import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HubError, isReservedKey, RESERVED_KEYS, topics } from '@hubemu/shared';
import { startHub, type Hub } from '../src/index.js';
import { connectRaw, type RawDevice } from './raw-device.js';
import { call, type RawResponse } from './rest-api/http-helpers.js';

// "__proto__, constructor and prototype are refused as keys on every plane alike (400004; an MQTT
// twin status 400; InvalidConfigurationContent inside configuration content, like any key the twin
// rules refuse), read as nothing in queries, and never touch a prototype of the hub process."
// Generated: where the reserved name sits in the document, what surrounds it, which plane carries it.
const SEED = Number(process.env.HUBEMU_FUZZ_SEED ?? 20261202);
const RUNS = Number(process.env.HUBEMU_FUZZ_RUNS ?? 40);

const ownNames = (): string[][] => [Object.prototype, Array.prototype, Function.prototype].map((p) => Object.getOwnPropertyNames(p).sort());
const prototypesBefore = ownNames();

let hub: Hub;
let device: RawDevice;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, configurationIntervalMs: 50 });
  for (const id of ['d1', 'reporter', 'bystander']) hub.createDevice(id, { tags: { fleet: 'proto' }, desired: { mode: 'auto' } });
  device = await connectRaw(hub, 'reporter');
});
afterAll(async () => {
  await device.close();
  await hub.stop();
});
afterEach(() => {
  expect(ownNames()).toEqual(prototypesBefore);
});

const reserved = fc.constantFrom(...RESERVED_KEYS);
const plainKey = fc.string({ minLength: 1, maxLength: 6 }).filter((k) => !/[\u0000-\u001f\u007f-\u009f.$ ]/.test(k) && !isReservedKey(k));
const leaf = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant({ polluted: true }), fc.constant({ status: 'disabled', moduleId: 'x' }));
/** A JSON object's text with a reserved key at a generated depth, among ordinary siblings (built as text: an object literal cannot hold an own `__proto__`). */
const docWithReservedKey = fc
  .record({ above: fc.array(plainKey, { maxLength: 3 }), key: reserved, below: fc.array(plainKey, { maxLength: 2 }), value: leaf, sibling: fc.option(plainKey) })
  .map(({ above, key, below, value, sibling }) => {
    let text = JSON.stringify(value);
    for (const k of [...above, key, ...below].reverse()) text = `{${JSON.stringify(k)}:${text}}`;
    return sibling === null ? text : `{${JSON.stringify(sibling)}:1,${text.slice(1)}`;
  });

const send = (method: 'PUT' | 'PATCH' | 'POST', path: string, body: string, headers: Record<string, string> = {}): Promise<RawResponse> =>
  call(hub, { method, path, body, headers: { 'Content-Type': 'application/json', ...headers } });

function expectRefused(res: RawResponse, errorCode = 'ArgumentInvalid'): void {
  expect(res.status, res.text).toBe(400);
  expect(res.headers['iothub-errorcode']).toBe(errorCode);
  expect(res.json?.Message).toMatch(/__proto__|constructor|prototype/);
}

async function twinEtag(deviceId: string): Promise<string> {
  const res = await call(hub, { method: 'GET', path: `/twins/${deviceId}` });
  expect(res.status).toBe(200);
  return res.json.etag as string;
}

describe('the reserved key names __proto__, constructor and prototype', { timeout: 120_000 }, () => {
  it('are refused with 400 ArgumentInvalid in twin tags and desired properties over REST, and the twin is unchanged', async () => {
    const before = await twinEtag('d1');
    await fc.assert(
      fc.asyncProperty(docWithReservedKey, fc.constantFrom('patch tags', 'patch desired', 'replace'), async (doc, how) => {
        const res =
          how === 'patch tags'
            ? await send('PATCH', '/twins/d1', `{"tags":${doc}}`)
            : how === 'patch desired'
              ? await send('PATCH', '/twins/d1', `{"properties":{"desired":${doc}}}`)
              : await send('PUT', '/twins/d1', `{"tags":${doc},"properties":{"desired":{}}}`);
        expectRefused(res);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(await twinEtag('d1')).toBe(before);
    const twin = hub.getTwin('d1');
    expect(twin.tags).toEqual({ fleet: 'proto' });
    expect(Object.getPrototypeOf(twin.tags)).toBe(Object.prototype);
  });

  it('are refused with twin status 400 in an MQTT reported patch, and the reported version does not move', async () => {
    const version = hub.getTwin('reporter').properties.reported.$version;
    let n = 0;
    await fc.assert(
      fc.asyncProperty(docWithReservedKey, async (doc) => {
        const rid = `r${(n += 1)}`;
        const answer = await device.request(topics.twinPatchReported(rid), doc, rid);
        expect(answer.topic).toMatch(/^\$iothub\/twin\/res\/400\//);
        expect(JSON.parse(answer.body)).toMatchObject({ errorCode: 400004 });
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(hub.getTwin('reporter').properties.reported.$version).toBe(version);
    const ok = await device.request(topics.twinPatchReported('fine'), '{"temperature":21}', 'fine');
    expect(ok.topic).toMatch(/^\$iothub\/twin\/res\/204\//);
  });

  it('are refused in configuration content keys and values (InvalidConfigurationContent) and as label names (400004), and nothing is created', async () => {
    await fc.assert(
      fc.asyncProperty(docWithReservedKey, reserved, fc.array(plainKey, { maxLength: 2 }), async (doc, key, above) => {
        const path = ['properties', 'desired', 'app', ...above, key, 'polluted'].join('.');
        for (const content of [`{${JSON.stringify(path)}:true}`, `{"properties.desired.app":${doc}}`]) {
          expectRefused(await send('PUT', '/configurations/cfg-proto', `{"content":{"deviceContent":${content}},"targetCondition":"*","priority":1}`), 'InvalidConfigurationContent');
        }
        const labels = `{"content":{"deviceContent":{"properties.desired.a":1}},"targetCondition":"*","labels":{${JSON.stringify(key)}:"x"}}`;
        expectRefused(await send('PUT', '/configurations/cfg-proto', labels));
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect((await call(hub, { method: 'GET', path: '/configurations/cfg-proto' })).status).toBe(404);
  });

  it('are refused with 400004 in the twin patch of a job, and no job is created', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(docWithReservedKey, fc.boolean(), async (doc, inTags) => {
        const jobId = `proto-${(n += 1)}`;
        const updateTwin = inTags ? `{"tags":${doc}}` : `{"properties":{"desired":${doc}}}`;
        expectRefused(await send('PUT', `/jobs/v2/${jobId}`, `{"jobId":"${jobId}","type":"scheduleUpdateTwin","queryCondition":"*","updateTwin":${updateTwin}}`));
        expect((await call(hub, { method: 'GET', path: `/jobs/v2/${jobId}` })).status).toBe(404);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('read as nothing in query paths and come back as ordinary names as query aliases', async () => {
    await fc.assert(
      fc.asyncProperty(reserved, fc.array(fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/), { maxLength: 2 }), async (key, below) => {
        const path = ['tags', key, ...below].join('.');
        const where = await send('POST', '/devices/query', JSON.stringify({ query: `SELECT * FROM devices WHERE ${path} != 'x' OR IS_DEFINED(${path})` }));
        expect(where.status, where.text).toBe(200);
        expect(where.json).toEqual([]);
        const projected = await send('POST', '/devices/query', JSON.stringify({ query: `SELECT ${path} AS p, deviceId AS ${key} FROM devices WHERE deviceId = 'd1'` }));
        expect(projected.status, projected.text).toBe(200);
        expect(projected.text).toBe(`[{${JSON.stringify(key)}:"d1"}]`);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('keep the hub whole: another device still gets answers and a valid write still works', async () => {
    const bystander = await connectRaw(hub, 'bystander');
    try {
      const answer = await bystander.request(topics.twinGet('alive'), '', 'alive');
      expect(answer.topic).toMatch(/^\$iothub\/twin\/res\/200\//);
      const res = await send('PATCH', '/twins/d1', '{"tags":{"ok":true}}');
      expect(res.status).toBe(200);
      expect(res.json.tags).toEqual({ fleet: 'proto', ok: true });
    } finally {
      await bystander.close();
    }
  });
});

describe('a seed with a reserved key', () => {
  it('stops the hub from starting with ArgumentInvalid naming the key, whatever section holds it', async () => {
    for (const key of RESERVED_KEYS) {
      for (const section of ['tags', 'desired', 'reported'] as const) {
        const seed = { devices: [{ deviceId: 'seeded', [section]: JSON.parse(`{"nested":{${JSON.stringify(key)}:{"polluted":true}}}`) as unknown }] };
        const error = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, seed }).then(
          async (started) => {
            await started.stop();
            return undefined;
          },
          (thrown: unknown) => thrown,
        );
        expect(error).toBeInstanceOf(HubError);
        expect((error as HubError).code).toBe(400004);
        expect((error as HubError).message).toContain(key);
      }
    }
  });
});

describe('a configuration stored before the rule', () => {
  it('cannot pollute when a durable hub loads and evaluates it, and the other configurations still apply', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hubemu-proto-'));
    const stored = (id: string, sequence: number, content: string): string =>
      `{"c":"configurations","k":"${id}","v":{"id":"${id}","schemaVersion":"1.0","labels":null,"kind":"device","content":${content},"targetCondition":"*","priority":${sequence},"createdMs":0,"lastUpdatedMs":0,"sequence":${sequence},"version":1,"metricQueries":{}}}\n`;
    mkdirSync(join(dataDir, 'state'), { recursive: true });
    writeFileSync(
      join(dataDir, 'state', 'state.jsonl'),
      stored('good', 1, '{"properties.desired.firmware":"2.0"}') +
        stored('evil', 2, '{"properties.desired.__proto__.polluted":true,"properties.desired.x":{"__proto__":{"status":"disabled"}},"properties.desired.constructor.prototype.moduleId":"m"}'),
    );
    const durable = await startHub({ dataDir, mqttPort: 0, httpsPort: 0, amqpPort: 0, configurationIntervalMs: 50 });
    try {
      durable.createDevice('after-load', {});
      await expect.poll(() => durable.getTwin('after-load').properties.desired.firmware, { timeout: 10_000 }).toBe('2.0');
      expect(durable.getTwin('after-load').configurations).toEqual({ good: { status: 'Applied' } });
      const evil = await call(durable, { method: 'GET', path: '/configurations/evil' });
      expect([evil.status, evil.json.systemMetrics.results]).toEqual([200, { targetedCount: 0, appliedCount: 0 }]);
      expect(durable.registry.getDevice('after-load').status).toBe('enabled');
    } finally {
      await durable.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
