import { afterEach, describe, expect, it } from 'vitest';
import { fakeService, serviceError, type FakeService } from '../test/fake-service.js';
import type { Configuration } from '@hubemu/shared';
import { configurationInputOf, ConfigurationsApi } from './configurations-api.js';

let service: FakeService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

const metrics = (results: Record<string, number>, queries: Record<string, string>) => ({ results, queries });

const stored: Configuration = {
  id: 'fw-2',
  schemaVersion: '1.0',
  labels: { team: 'ops' },
  content: { deviceContent: { 'properties.desired.firmware': { version: '2.0' } }, moduleContent: {}, modulesContent: {} },
  targetCondition: "tags.environment = 'test'",
  createdTimeUtc: '2026-01-01T00:00:00.0000000Z',
  lastUpdatedTimeUtc: '2026-01-01T00:00:00.0000000Z',
  priority: 10,
  systemMetrics: metrics({ targetedCount: 3, appliedCount: 3 }, { targetedCount: "select deviceId from devices where tags.environment = 'test'", appliedCount: '...' }),
  metrics: metrics({ updated: 1 }, { updated: "SELECT deviceId FROM devices WHERE properties.reported.firmware.version = '2.0'" }),
  etag: 'MQ==',
};

async function configurationsApi(handler: Parameters<typeof fakeService>[0]): Promise<{ configurations: ConfigurationsApi; service: FakeService }> {
  service = await fakeService(handler);
  return { configurations: new ConfigurationsApi(service.client), service };
}

describe('ConfigurationsApi', () => {
  it('creates with a PUT without If-Match, schemaVersion 1.0 and only the fields given', async () => {
    const { configurations, service } = await configurationsApi(() => ({ status: 201, json: stored }));
    const created = await configurations.create('fw-2', {
      content: { deviceContent: { 'properties.desired.firmware': { version: '2.0' } } },
      targetCondition: "tags.environment = 'test'",
      priority: 10,
      labels: { team: 'ops' },
      metrics: { queries: { updated: "SELECT deviceId FROM devices WHERE properties.reported.firmware.version = '2.0'" } },
    });
    expect(created).toEqual(stored);
    const [put] = service.seen;
    expect(put).toMatchObject({ method: 'PUT', url: '/configurations/fw-2?api-version=2021-04-12' });
    expect(put?.headers['if-match']).toBeUndefined();
    expect(put?.body).toEqual({
      id: 'fw-2',
      schemaVersion: '1.0',
      labels: { team: 'ops' },
      content: { deviceContent: { 'properties.desired.firmware': { version: '2.0' } } },
      targetCondition: "tags.environment = 'test'",
      priority: 10,
      metrics: { queries: { updated: "SELECT deviceId FROM devices WHERE properties.reported.firmware.version = '2.0'" } },
    });
  });

  it('updates with If-Match set to the quoted etag, or "*" to force', async () => {
    const { configurations, service } = await configurationsApi(() => ({ json: { ...stored, etag: 'Mg==' } }));
    await configurations.update('fw-2', { ...configurationInputOf(stored), priority: 20 }, { etag: stored.etag });
    await configurations.update('fw-2', { targetCondition: '*' });
    expect(service.seen.map((r) => r.headers['if-match'])).toEqual(['"MQ=="', '"*"']);
    expect(service.seen[0]?.body).toMatchObject({ id: 'fw-2', priority: 20, labels: { team: 'ops' }, content: stored.content, metrics: { queries: stored.metrics.queries } });
    expect(service.seen[1]?.body).toEqual({ id: 'fw-2', schemaVersion: '1.0', targetCondition: '*' });
  });

  it('raises a stale etag as ServiceError PreconditionFailed', async () => {
    const { configurations } = await configurationsApi(() => serviceError(412, 'PreconditionFailed', 'PreconditionFailed, ETag may be invalid.'));
    await expect(configurations.update('fw-2', { priority: 1 }, { etag: 'old' })).rejects.toMatchObject({ status: 412, errorCode: 'PreconditionFailed', code: 412001 });
  });

  it('gets, lists with top and deletes with If-Match', async () => {
    const { configurations, service } = await configurationsApi((req) => {
      if (req.method === 'DELETE') return { status: 204 };
      return { json: req.url.startsWith('/configurations?') ? [stored, { ...stored, id: 'other' }] : stored };
    });
    expect((await configurations.get('fw-2')).systemMetrics.results).toEqual({ targetedCount: 3, appliedCount: 3 });
    expect((await configurations.list({ top: 2 })).map((c) => c.id)).toEqual(['fw-2', 'other']);
    await configurations.delete('fw-2', { etag: 'MQ==' });
    await configurations.delete('other');
    expect(service.seen.map((r) => `${r.method} ${r.url} ${r.headers['if-match'] ?? '-'}`)).toEqual([
      'GET /configurations/fw-2?api-version=2021-04-12 -',
      'GET /configurations?api-version=2021-04-12&top=2 -',
      'DELETE /configurations/fw-2?api-version=2021-04-12 "MQ=="',
      'DELETE /configurations/other?api-version=2021-04-12 "*"',
    ]);
  });

  it('tests queries and reads missing or null errors as empty strings', async () => {
    const { configurations, service } = await configurationsApi(() => ({ json: { targetConditionError: null, customMetricQueryErrors: { ok: null, bad: 'The query is invalid.' } } }));
    const result = await configurations.testQueries({ targetCondition: 'tags.a = 1', customMetricQueries: { ok: 'SELECT deviceId FROM devices', bad: 'SELEKT' } });
    expect(result).toEqual({ targetConditionError: '', customMetricQueryErrors: { ok: '', bad: 'The query is invalid.' } });
    expect(service.seen[0]).toMatchObject({ method: 'POST', url: '/configurations/testQueries?api-version=2021-04-12', body: { targetCondition: 'tags.a = 1' } });
  });

  it('gives the editable fields of a configuration read from the hub', () => {
    expect(configurationInputOf(stored)).toEqual({
      content: stored.content,
      targetCondition: stored.targetCondition,
      priority: 10,
      labels: { team: 'ops' },
      metrics: { queries: stored.metrics.queries },
      schemaVersion: '1.0',
    });
    expect(configurationInputOf({ ...stored, labels: null })).not.toHaveProperty('labels');
  });
});
