import { describe, expect, it } from 'vitest';
import { BUILT_IN_SCENARIOS } from './built-in-scenarios.js';
import { ScenarioSchema } from './scenario.js';
import { estimateTiers, tierThrottles, type TierEstimateOptions } from './tier-estimate.js';

const tier = (name: string, scenario: keyof typeof BUILT_IN_SCENARIOS, devices: number, options?: TierEstimateOptions) =>
  estimateTiers(ScenarioSchema.parse(BUILT_IN_SCENARIOS[scenario]), devices, options).find((t) => t.tier === name);

describe('real-tier estimate', () => {
  it('puts a 10,000-device twin-update job on one S1 unit at about 1,000 s of job device operations (10/s), as the reference derives', () => {
    // 2 reported updates per device at 50/s (400 s) plus 10,000 job device operations at 10/s (1,000 s).
    expect(tier('S1', 'twin-update-job', 10_000)).toMatchObject({ units: 1, connectSeconds: 100, rolloutSeconds: 1_400, complianceVisibleAfterSeconds: null });
  });

  it('charges a configuration rollout the devices\' reported updates and says its metrics come on the five-minute cycle', () => {
    expect(tier('S3', 'telemetry-config', 10_000)).toMatchObject({ identitiesSeconds: 120, connectSeconds: 1.7, rolloutSeconds: 80, complianceVisibleAfterSeconds: 300 });
    expect(tier('S2', 'telemetry-config', 12_000)).toMatchObject({ connectSeconds: 100 });
  });

  it('scales each throttle with units as the reference table says, floors and fixed rates included', () => {
    expect(tierThrottles('S1', 10)).toMatchObject({ connectionsPerSecond: 120, twinUpdatesPerSecond: 50, jobDeviceOperationsPerSecond: 10 });
    expect(tierThrottles('S1', 4)).toMatchObject({ connectionsPerSecond: 100 });
    expect(tierThrottles('S2', 20)).toMatchObject({ connectionsPerSecond: 2_400, twinUpdatesPerSecond: 100, jobDeviceOperationsPerSecond: 20 });
    expect(tierThrottles('S2', 4)).toMatchObject({ twinUpdatesPerSecond: 50, jobDeviceOperationsPerSecond: 10 });
    expect(tierThrottles('F1', 5)).toMatchObject({ units: 1 });
    expect(tierThrottles('S3', 50)).toMatchObject({ units: 10, twinUpdatesPerSecond: 2_500 });
  });

  it('estimates 10,000 devices on four units by hand: S3 30 s of identities, 0.4 s to connect, 20 s of rollout; S1 still 400 s', () => {
    // S3 x4: 10,000 / (4 x 5,000/min) = 30 s; 10,000 / 24,000/s = 0.42 s; 20,000 reports / 1,000/s = 20 s.
    expect(tier('S3', 'telemetry-config', 10_000, { units: 4 })).toMatchObject({ units: 4, identitiesSeconds: 30, connectSeconds: 0.4, rolloutSeconds: 20, totalSeconds: 50.4 });
    // S1 x4: 10,000 / 400/min = 1,500 s; connections max(100, 48) = 100/s; twin updates stay 50/s.
    expect(tier('S1', 'telemetry-config', 10_000, { units: 4 })).toMatchObject({ identitiesSeconds: 1_500, connectSeconds: 100, rolloutSeconds: 400 });
  });

  it('names the fewest units that would match the measured rollout, or none when the throttle cannot get there', () => {
    // 200 devices, 400 reports in 0.6 s = 666.7/s: S3 needs 3 units (750/s), S2 134 (max(50, 5u) = 670/s), S1 and F1 stay at 50/s.
    const measured = { measuredRolloutSeconds: 0.6 };
    expect(tier('S3', 'telemetry-config', 200, measured)?.unitsToMatchMeasured).toBe(3);
    expect(tier('S2', 'telemetry-config', 200, measured)?.unitsToMatchMeasured).toBe(134);
    expect(tier('S1', 'telemetry-config', 200, measured)?.unitsToMatchMeasured).toBeNull();
    expect(tier('F1', 'telemetry-config', 200, measured)?.unitsToMatchMeasured).toBeNull();
    // 10,000 devices in 4.1 s need 4,878 updates/s: beyond S3's 10 units (2,500/s).
    expect(tier('S3', 'telemetry-config', 10_000, { measuredRolloutSeconds: 4.1 })?.unitsToMatchMeasured).toBeNull();
    expect(tier('S3', 'telemetry-config', 10_000)?.unitsToMatchMeasured).toBeNull();
  });
});
