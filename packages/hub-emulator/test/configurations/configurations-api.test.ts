import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../src/index.js';
import { connectRaw } from '../raw-device.js';
import { call, errorOf } from '../rest-api/http-helpers.js';

let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, configurationIntervalMs: 50 });
  for (let i = 0; i < 6; i++) hub.createDevice(`cfg-${i}`, { tags: { env: i < 4 ? 'test' : 'prod', ring: i < 2 ? 'early' : 'late' } });
});
afterAll(async () => {
  await hub.stop();
});

const desired = (deviceId: string): Record<string, unknown> => {
  const { $metadata: _m, $version: _v, ...rest } = hub.getTwin(deviceId).properties.desired;
  return rest;
};
const statusOf = (deviceId: string, id: string): string | undefined => hub.getTwin(deviceId).configurations?.[id]?.status;

describe('PUT /configurations/{id}', () => {
  it('creates a configuration (201) shaped as the service answers, and applies it to the targeted twins', async () => {
    const res = await call(hub, {
      method: 'PUT',
      path: '/configurations/firmware-test',
      body: {
        id: 'firmware-test',
        content: { deviceContent: { 'properties.desired.firmware': { version: '2.0.1', url: 'https://example.test/fw.bin' } } },
        targetCondition: "tags.env = 'test'",
        priority: 10,
        labels: { team: 'ops' },
        metrics: { queries: { pending: "SELECT deviceId FROM devices WHERE properties.reported.firmware.status = 'pending'" } },
      },
    });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json).toMatchObject({
      id: 'firmware-test',
      schemaVersion: '1.0',
      labels: { team: 'ops' },
      content: { deviceContent: { 'properties.desired.firmware': { version: '2.0.1', url: 'https://example.test/fw.bin' } }, moduleContent: {}, modulesContent: {} },
      targetCondition: "tags.env = 'test'",
      priority: 10,
      systemMetrics: {
        queries: {
          targetedCount: "select deviceId from devices where tags.env = 'test'",
          appliedCount: "select deviceId from devices where configurations.[[firmware-test]].status = 'Applied'",
        },
      },
      metrics: { queries: { pending: expect.any(String) }, results: { pending: 0 } },
      etag: 'MQ==',
    });
    expect(res.json.createdTimeUtc).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);

    await expect.poll(() => statusOf('cfg-0', 'firmware-test'), { timeout: 10_000 }).toBe('Applied');
    expect(desired('cfg-3')).toEqual({ firmware: { version: '2.0.1', url: 'https://example.test/fw.bin' } });
    expect(desired('cfg-4')).toEqual({});
    await expect.poll(async () => (await call(hub, { method: 'GET', path: '/configurations/firmware-test' })).json.systemMetrics.results, { timeout: 10_000 }).toEqual({ targetedCount: 4, appliedCount: 4 });
  });

  it('answers the twin query of the applied metric', async () => {
    const res = await call(hub, { method: 'POST', path: '/devices/query', body: { query: "SELECT deviceId FROM devices WHERE configurations.[[firmware-test]].status = 'Applied'" } });
    expect((res.json as Array<{ deviceId: string }>).map((r) => r.deviceId).sort()).toEqual(['cfg-0', 'cfg-1', 'cfg-2', 'cfg-3']);
  });

  it('refuses a second create with 409 ConfigurationAlreadyExists', async () => {
    const res = await call(hub, { method: 'PUT', path: '/configurations/firmware-test', body: { content: { deviceContent: {} }, targetCondition: '*' } });
    expect(res.status).toBe(409);
    expect(errorOf(res).name).toBe('ConfigurationAlreadyExists');
  });

  it('updates with If-Match what may change (200, new etag) and refuses new content with CannotModifyImmutableConfigurationContent', async () => {
    const current = (await call(hub, { method: 'GET', path: '/configurations/firmware-test' })).json;
    const stale = current.etag as string;
    const updated = await call(hub, { method: 'PUT', path: '/configurations/firmware-test', headers: { 'If-Match': `"${stale}"` }, body: { ...current, priority: 20, labels: { team: 'fleet' } } });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ priority: 20, labels: { team: 'fleet' }, etag: 'Mg==' });

    const again = await call(hub, { method: 'PUT', path: '/configurations/firmware-test', headers: { 'If-Match': `"${stale}"` }, body: { ...current, priority: 30 } });
    expect(again.status).toBe(412);
    expect(errorOf(again).name).toBe('PreconditionFailed');

    const changed = await call(hub, {
      method: 'PUT',
      path: '/configurations/firmware-test',
      headers: { 'If-Match': '"*"' },
      body: { ...updated.json, content: { deviceContent: { 'properties.desired.firmware': { version: '3.0' } } } },
    });
    expect(changed.status).toBe(400);
    expect(errorOf(changed).name).toBe('CannotModifyImmutableConfigurationContent');
  });

  it('refuses edge deployments, bad ids and bad conditions with 400', async () => {
    const edge = await call(hub, { method: 'PUT', path: '/configurations/edge-1', body: { content: { modulesContent: { $edgeAgent: { 'properties.desired': {} } } }, targetCondition: '*' } });
    expect(edge.status).toBe(400);
    expect(errorOf(edge)).toMatchObject({ name: 'InvalidConfigurationContent', message: expect.stringMatching(/not supported/) });
    const upper = await call(hub, { method: 'PUT', path: '/configurations/Firmware', body: { content: { deviceContent: {} }, targetCondition: '*' } });
    expect(upper.status).toBe(400);
    const condition = await call(hub, { method: 'PUT', path: '/configurations/cond', body: { content: { deviceContent: {} }, targetCondition: 'tags.env =' } });
    expect(condition.status).toBe(400);
    expect(errorOf(condition).name).toBe('InvalidConfigurationTargetCondition');
  });

  it('refuses content nested absurdly deep with 400, not a crash', async () => {
    const deep = `${'{"n":'.repeat(15_000)}1${'}'.repeat(15_000)}`;
    const body = `{"content":{"deviceContent":{"properties.desired.deep":${deep}}},"targetCondition":"*"}`;
    const answer = await call(hub, { method: 'PUT', path: '/configurations/deep', body });
    expect(answer.status).toBe(400);
    expect(errorOf(answer).message).toMatch(/nests deeper/);
    expect((await call(hub, { method: 'GET', path: '/configurations/deep' })).status).toBe(404);
  });
});

describe('priority and retargeting over the wire', () => {
  it('gives the early ring the higher-priority content, whole, and notifies a connected device', async () => {
    const device = await connectRaw(hub, 'cfg-0', { subscribe: ['$iothub/twin/PATCH/properties/desired/#'] });
    try {
      const res = await call(hub, {
        method: 'PUT',
        path: '/configurations/firmware-early',
        body: { content: { deviceContent: { 'properties.desired.firmware.version': '2.1.0-beta' } }, targetCondition: "tags.ring = 'early'", priority: 50 },
      });
      expect(res.status).toBe(201);
      await expect.poll(() => (desired('cfg-0').firmware as { version?: string } | undefined)?.version, { timeout: 10_000 }).toBe('2.1.0-beta');
      // properties.desired.firmware.version is inside the lower configuration's properties.desired.firmware: the higher one takes it whole.
      expect(desired('cfg-0').firmware).toEqual({ version: '2.1.0-beta' });
      expect(hub.getTwin('cfg-0').configurations).toEqual({ 'firmware-test': { status: 'Targeted' }, 'firmware-early': { status: 'Applied' } });
      expect(desired('cfg-2')).toEqual({ firmware: { version: '2.0.1', url: 'https://example.test/fw.bin' } });
      await expect.poll(() => device.messages.map((m) => JSON.parse(m.body) as { firmware?: { version?: string } }).some((p) => p.firmware?.version === '2.1.0-beta'), { timeout: 10_000 }).toBe(true);
    } finally {
      await device.close();
    }
  });

  it('takes a twin whose tags change out of the early ring back to the lower configuration', async () => {
    hub.updateTwin('cfg-1', { tags: { ring: 'late' } });
    await expect.poll(() => (desired('cfg-1').firmware as { version?: string }).version, { timeout: 10_000 }).toBe('2.0.1');
    expect(hub.getTwin('cfg-1').configurations).toEqual({ 'firmware-test': { status: 'Applied' } });
  });

  it('removes the settings of a deleted configuration (204) and 404s afterwards', async () => {
    const res = await call(hub, { method: 'DELETE', path: '/configurations/firmware-early' });
    expect(res.status).toBe(204);
    await expect.poll(() => (desired('cfg-0').firmware as { version?: string }).version, { timeout: 10_000 }).toBe('2.0.1');
    expect(hub.getTwin('cfg-0').configurations).toEqual({ 'firmware-test': { status: 'Applied' } });
    const missing = await call(hub, { method: 'GET', path: '/configurations/firmware-early' });
    expect(missing.status).toBe(404);
    expect(errorOf(missing).name).toBe('ConfigurationNotFound');
  });
});

describe('listing and testing queries', () => {
  it('lists configurations with top', async () => {
    await call(hub, { method: 'PUT', path: '/configurations/second', body: { content: { deviceContent: {} }, targetCondition: "tags.env = 'prod'", priority: 1 } });
    const all = await call(hub, { method: 'GET', path: '/configurations' });
    expect((all.json as Array<{ id: string }>).map((c) => c.id)).toEqual(['firmware-test', 'second']);
    const top = await call(hub, { method: 'GET', path: '/configurations?api-version=2021-04-12&top=1' });
    expect((top.json as Array<{ id: string }>).map((c) => c.id)).toEqual(['firmware-test']);
  });

  it('tests a target condition and metric queries', async () => {
    const res = await call(hub, {
      method: 'POST',
      path: '/configurations/testQueries',
      body: { targetCondition: "tags.env = 'test' AND", customMetricQueries: { good: 'SELECT deviceId FROM devices', bad: 'SELECT deviceId FROM' } },
    });
    expect(res.status).toBe(200);
    expect(res.json.targetConditionError).toMatch(/targetCondition/);
    expect(res.json.customMetricQueryErrors).toEqual({ good: '', bad: expect.stringMatching(/bad/) });
  });
});
