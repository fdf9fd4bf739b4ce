import { afterEach, describe, expect, it, vi } from 'vitest';
import { mostHandedPerTurn } from '../query/handed-per-turn.fixtures.js';
import { deviceConfig, world } from './configuration-world.fixtures.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a configuration pass after many twin changes', () => {
  it('hands the changed twins to the query engine in chunks of at most 500 per turn of the event loop', async () => {
    const w = world({ chunkSize: 250 });
    for (let i = 0; i < 3_000; i++) w.device(`d${i}`, { fleet: 'bulk' });
    w.service.put('fw', deviceConfig({ 'properties.desired.fw': '2.0' }, "tags.fleet = 'bulk'", 1, { pending: 'SELECT deviceId FROM devices WHERE properties.desired.fw = \'2.0\'' }));

    const most = await mostHandedPerTurn(() => w.service.evaluateNow());

    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(500);
    expect(w.desired('d2999')).toEqual({ fw: '2.0' });
    // The metric query saw every twin the pass wrote.
    expect(w.service.get('fw').metrics.results).toEqual({ pending: 3_000 });
  });

  it('shares one catch-up with a query started meanwhile, so the two do not hand over twice as much per turn', async () => {
    const w = world({ chunkSize: 250 });
    for (let i = 0; i < 3_000; i++) w.device(`d${i}`, { fleet: 'bulk' });
    w.service.put('fw', deviceConfig({ 'properties.desired.fw': '2.0' }, "tags.fleet = 'bulk'"));

    const most = await mostHandedPerTurn(async () => {
      await Promise.all([w.service.evaluateNow(), w.query.catchUp(), w.query.catchUp()]);
    });

    expect(most).toBeLessThanOrEqual(500);
    expect(w.service.get('fw').systemMetrics.results).toEqual({ targetedCount: 3_000, appliedCount: 3_000 });
  });
});
