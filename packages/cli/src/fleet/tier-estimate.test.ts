import { describe, expect, it } from 'vitest';
import { BUILT_IN_SCENARIOS } from './built-in-scenarios.js';
import { ScenarioSchema } from './scenario.js';
import { estimateTiers } from './tier-estimate.js';

const tier = (name: string, scenario: keyof typeof BUILT_IN_SCENARIOS, devices: number) =>
  estimateTiers(ScenarioSchema.parse(BUILT_IN_SCENARIOS[scenario]), devices).find((t) => t.tier === name);

describe('real-tier estimate', () => {
  it('puts a 10,000-device twin-update job on one S1 unit at about 1,000 s of job device operations (10/s), as the reference derives', () => {
    // 2 reported updates per device at 50/s (400 s) plus 10,000 job device operations at 10/s (1,000 s).
    expect(tier('S1', 'twin-update-job', 10_000)).toMatchObject({ connectSeconds: 100, rolloutSeconds: 1_400, complianceVisibleAfterSeconds: null });
  });

  it('charges a configuration rollout the devices\' reported updates and says its metrics come on the five-minute cycle', () => {
    expect(tier('S3', 'telemetry-config', 10_000)).toMatchObject({ identitiesSeconds: 120, connectSeconds: 1.7, rolloutSeconds: 80, complianceVisibleAfterSeconds: 300 });
    expect(tier('S2', 'telemetry-config', 12_000)).toMatchObject({ connectSeconds: 100 });
  });
});
