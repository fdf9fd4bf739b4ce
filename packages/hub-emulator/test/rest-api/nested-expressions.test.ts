import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type Hub } from '../../src/index.js';
import { call, errorOf } from './http-helpers.js';

let hub: Hub;
beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0 });
  hub.createDevice('nested-1');
});
afterAll(async () => {
  await hub.stop();
});

const conditions: Record<string, (n: number) => string> = {
  parentheses: (n) => `${'('.repeat(n)}deviceId = 'a'${')'.repeat(n)}`,
  NOTs: (n) => `${'NOT '.repeat(n)}deviceId = 'a'`,
  arrays: (n) => `deviceId IN ${'['.repeat(n)}1${']'.repeat(n)}`,
};
const POSITIONED = /at position \d+: /;

describe('conditions nested thousands of levels deep on the REST API', () => {
  for (const [shape, build] of Object.entries(conditions)) {
    for (const n of [1500, 5000]) {
      const condition = build(n);

      it(`answers 400 with the position for ${n} nested ${shape} in a query, a job condition and a configuration target condition`, async () => {
        const query = await call(hub, { method: 'POST', path: '/devices/query', body: { query: `SELECT * FROM devices WHERE ${condition}` } });
        expect(query.status).toBe(400);
        expect(errorOf(query)).toMatchObject({ name: 'BadRequest', message: expect.stringMatching(POSITIONED) });

        const job = await call(hub, {
          method: 'PUT',
          path: `/jobs/v2/nested-${shape}-${n}`,
          body: { jobId: `nested-${shape}-${n}`, type: 'scheduleUpdateTwin', updateTwin: { properties: { desired: { x: 1 } }, etag: '*' }, queryCondition: condition, maxExecutionTimeInSeconds: 60 },
        });
        expect(job.status).toBe(400);
        expect(errorOf(job)).toMatchObject({ name: 'BadRequest', message: expect.stringMatching(POSITIONED) });

        const configuration = await call(hub, {
          method: 'PUT',
          path: `/configurations/nested-${shape.toLowerCase()}-${n}`,
          body: { id: `nested-${shape.toLowerCase()}-${n}`, content: { deviceContent: { 'properties.desired.x': 1 } }, targetCondition: condition, priority: 1 },
        });
        expect(configuration.status).toBe(400);
        expect(errorOf(configuration)).toMatchObject({ name: 'InvalidConfigurationTargetCondition', message: expect.stringMatching(POSITIONED) });
      });

      it(`reports ${n} nested ${shape} from testQueries as an error with the position, for the target condition and a metric query`, async () => {
        const res = await call(hub, {
          method: 'POST',
          path: '/configurations/testQueries',
          body: { targetCondition: condition, customMetricQueries: { deep: `SELECT deviceId FROM devices WHERE ${condition}` } },
        });
        expect(res.status).toBe(200);
        expect(res.json.targetConditionError).toMatch(POSITIONED);
        expect(res.json.customMetricQueryErrors.deep).toMatch(POSITIONED);
      });
    }
  }

  it('keeps serving: a plain query still answers after the deep ones', async () => {
    const res = await call(hub, { method: 'POST', path: '/devices/query', body: { query: "SELECT * FROM devices WHERE deviceId = 'nested-1'" } });
    expect(res.status).toBe(200);
    expect(res.json).toHaveLength(1);
  });
});
