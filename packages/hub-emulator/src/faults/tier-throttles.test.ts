import { describe, expect, it } from 'vitest';
import { routeThrottleClass, SHAPING_WINDOW_MS, throttleClassOf, TierThrottle, tierThrottles } from './tier-throttles.js';

const T0 = 1_700_000_000_000;

describe('tier throttles', () => {
  it("are the reference's per-operation limits, scaled by units", () => {
    const s1 = tierThrottles('S1', 2);
    expect(s1.twinUpdates).toEqual({ perSecond: 50, burst: 50 });
    expect(s1.registry).toEqual({ perSecond: 200 / 60, burst: 200 });
    expect(s1.connections.perSecond).toBe(100);
    expect(tierThrottles('S2', 20).twinReads.perSecond).toBe(200);
    expect(tierThrottles('S3', 2).twinUpdates.perSecond).toBe(500);
    expect(tierThrottles('F1').configurations).toEqual({ perSecond: 20 / 60, burst: 20 });
    // D2C sends: max(100/s, 12/s/unit) on F1 and S1, 120/s/unit on S2, 6000/s/unit on S3.
    expect(tierThrottles('F1').d2cSends).toEqual({ perSecond: 100, burst: 100 });
    expect(tierThrottles('S1', 10).d2cSends.perSecond).toBe(120);
    expect(tierThrottles('S2', 2).d2cSends.perSecond).toBe(240);
    expect(tierThrottles('S3', 2).d2cSends.perSecond).toBe(12_000);
  });

  it('count each REST route against its group', () => {
    expect(routeThrottleClass('GET /twins/:deviceId')).toBe('twinReads');
    expect(routeThrottleClass('PATCH /twins/:deviceId/modules/:moduleId')).toBe('twinUpdates');
    expect(routeThrottleClass('POST /twins/:deviceId/methods')).toBe('methods');
    expect(routeThrottleClass('POST /devices/query')).toBe('queries');
    expect(routeThrottleClass('PUT /devices/:deviceId')).toBe('registry');
    expect(routeThrottleClass('PUT /jobs/v2/:jobId')).toBe('jobs');
    expect(routeThrottleClass('PUT /configurations/:id')).toBe('configurations');
    expect(routeThrottleClass('GET /emulator/faults')).toBeUndefined();
    // The device HTTPS API is no registry call; its telemetry counts as D2C sends where it is carried out.
    expect(routeThrottleClass('POST /devices/:deviceId/messages/events')).toBeUndefined();
    expect(routeThrottleClass('GET /devices/:deviceId/messages/devicebound')).toBeUndefined();
    expect(throttleClassOf('telemetry')).toBe('d2cSends');
  });

  it('pass a burst up to the bucket, delay the excess within the shaping window, then refuse', () => {
    const throttle = new TierThrottle({ ...tierThrottles('F1'), twinUpdates: { perSecond: 10, burst: 10 } });
    const outcomes = Array.from({ length: 25 }, () => throttle.take('twinUpdates', T0));
    expect(outcomes.slice(0, 10).every((o) => 'waitMs' in o && o.waitMs === 0)).toBe(true);
    const delayed = outcomes.slice(10, 20).map((o) => ('waitMs' in o ? o.waitMs : -1));
    expect(delayed).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
    expect(outcomes.slice(20).every((o) => 'refused' in o)).toBe(true);
    expect(Math.max(...delayed)).toBeLessThanOrEqual(SHAPING_WINDOW_MS);
    // Two seconds later the queue has drained and the bucket refilled.
    expect(throttle.take('twinUpdates', T0 + 2000)).toEqual({ waitMs: 0 });
  });

  it('meter direct methods in bytes, each call at least 4 KB', () => {
    const throttle = new TierThrottle({ ...tierThrottles('S1'), methods: { perSecond: 8192, burst: 8192 } });
    expect(throttle.take('methods', T0, 4096)).toEqual({ waitMs: 0 });
    expect(throttle.take('methods', T0, 4096)).toEqual({ waitMs: 0 });
    expect(throttle.take('methods', T0, 4096)).toEqual({ waitMs: 500 });
  });
});
