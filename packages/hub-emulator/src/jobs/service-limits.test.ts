import { describe, expect, it } from 'vitest';
import { resolveServiceLimits, tierLimits } from './service-limits.js';

describe('tier presets', () => {
  it('apply the reference quotas for each tier', () => {
    expect(tierLimits('F1')).toEqual({ maxConcurrentJobs: 1, deviceOperationsPerSecond: 10, maxConfigurations: 10 });
    expect(tierLimits('S1')).toEqual({ maxConcurrentJobs: 1, deviceOperationsPerSecond: 10, maxConfigurations: 100 });
    expect(tierLimits('S2')).toEqual({ maxConcurrentJobs: 5, deviceOperationsPerSecond: 10, maxConfigurations: 100 });
    expect(tierLimits('S3')).toEqual({ maxConcurrentJobs: 10, deviceOperationsPerSecond: 50, maxConfigurations: 100 });
  });

  it('scale job device operations with units on S2 and S3', () => {
    expect(tierLimits('S2', 20).deviceOperationsPerSecond).toBe(20);
    expect(tierLimits('S3', 4).deviceOperationsPerSecond).toBe(200);
  });

  it('impose no job limits without a tier, and let explicit options win over a tier', () => {
    expect(resolveServiceLimits({})).toEqual({ maxConcurrentJobs: undefined, deviceOperationsPerSecond: undefined, maxConfigurations: 100 });
    expect(resolveServiceLimits({ tier: 'S1', jobs: { maxConcurrentJobs: 3 } })).toEqual({ maxConcurrentJobs: 3, deviceOperationsPerSecond: 10, maxConfigurations: 100 });
  });
});
