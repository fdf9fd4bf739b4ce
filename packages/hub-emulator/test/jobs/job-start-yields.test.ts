import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHub, type Hub } from '../../src/index.js';
import { QueryEngine } from '../../src/query/index.js';
import { mostHandedPerTurn } from '../../src/query/handed-per-turn.fixtures.js';

let hub: Hub;

beforeAll(async () => {
  hub = await startHub({ inMemory: true, mqttPort: 0, httpsPort: 0, amqpPort: 0, trafficBufferSize: 0, configurationIntervalMs: 3_600_000 });
});
afterAll(async () => {
  await hub.stop();
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('a job started after many twin changes', () => {
  it('hands the changed twins to the query engine in chunks of at most 500 per turn of the event loop before matching', async () => {
    for (let i = 0; i < 3_000; i++) hub.createDevice(`bulk-${i}`, { tags: { bulk: true } });

    const most = await mostHandedPerTurn(async () => {
      hub.jobs.create('bulk', { type: 'scheduleUpdateTwin', queryCondition: 'tags.bulk = true', updateTwin: { properties: { desired: { wave: 1 } } }, startTime: null });
      await hub.jobs.whenFinished('bulk');
    });

    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(500);
    expect(hub.jobs.get('bulk').deviceJobStatistics).toMatchObject({ deviceCount: 3_000, succeededCount: 3_000 });
  });

  it('does not start a job cancelled while the query engine catches up', async () => {
    for (let i = 0; i < 3_000; i++) hub.twins.updateTwin(`bulk-${i}`, undefined, { tags: { wave: 2 } }, 'patch', { source: 'service' });
    const handTwin = QueryEngine.prototype.onTwinChanged;
    let cancelled = false;
    vi.spyOn(QueryEngine.prototype, 'onTwinChanged').mockImplementation(function (this: QueryEngine, ...args) {
      if (!cancelled) {
        cancelled = true;
        hub.jobs.cancel('late');
      }
      handTwin.apply(this, args);
    });
    hub.jobs.create('late', { type: 'scheduleUpdateTwin', queryCondition: 'tags.bulk = true', updateTwin: { tags: { touched: true } }, startTime: null });
    const job = await hub.jobs.whenFinished('late');
    expect(cancelled).toBe(true);
    expect(job.status).toBe('cancelled');
    expect(job.deviceJobStatistics?.deviceCount).toBe(0);
    expect(hub.query.execute('SELECT deviceId FROM devices WHERE tags.touched = true').items.length).toBe(0);
  });
});
