import { LIMITS } from '@hubemu/shared';

export type HubTier = 'F1' | 'S1' | 'S2' | 'S3';

/** The limits jobs and configurations enforce; `undefined` means no limit. */
export interface ServiceLimits {
  /** Jobs that may be active (scheduled, queued or running) at once. */
  maxConcurrentJobs: number | undefined;
  /** Device operations per second across all running jobs. */
  deviceOperationsPerSecond: number | undefined;
  /** Automatic device configurations per hub. */
  maxConfigurations: number;
}

export interface LimitOptions {
  tier?: HubTier | undefined;
  tierUnits?: number | undefined;
  jobs?: { maxConcurrentJobs?: number | undefined; deviceOperationsPerSecond?: number | undefined } | undefined;
}

/**
 * The reference's quotas (section 3.2): concurrent jobs 1 (F1, S1), 5 (S2), 10 (S3); jobs device
 * operations 10/s (F1, S1), max(10/s, 1/s/unit) (S2), 50/s/unit (S3); 10 configurations on F1, else 100.
 */
export function tierLimits(tier: HubTier, units = 1): ServiceLimits {
  switch (tier) {
    case 'F1':
      return { maxConcurrentJobs: 1, deviceOperationsPerSecond: 10, maxConfigurations: 10 };
    case 'S1':
      return { maxConcurrentJobs: 1, deviceOperationsPerSecond: 10, maxConfigurations: LIMITS.maxConfigurations };
    case 'S2':
      return { maxConcurrentJobs: 5, deviceOperationsPerSecond: Math.max(10, units), maxConfigurations: LIMITS.maxConfigurations };
    case 'S3':
      return { maxConcurrentJobs: 10, deviceOperationsPerSecond: 50 * units, maxConfigurations: LIMITS.maxConfigurations };
  }
}

/** No tier: no job limits, and the service's 100 configurations. Explicit `jobs` options override the tier's. */
export function resolveServiceLimits(options: LimitOptions): ServiceLimits {
  const base: ServiceLimits = options.tier
    ? tierLimits(options.tier, options.tierUnits ?? 1)
    : { maxConcurrentJobs: undefined, deviceOperationsPerSecond: undefined, maxConfigurations: LIMITS.maxConfigurations };
  return {
    maxConcurrentJobs: options.jobs?.maxConcurrentJobs ?? base.maxConcurrentJobs,
    deviceOperationsPerSecond: options.jobs?.deviceOperationsPerSecond ?? base.deviceOperationsPerSecond,
    maxConfigurations: base.maxConfigurations,
  };
}
