import type { Scenario } from './scenario.js';

/** The real service's documented throttles for one unit of a tier (reference 3.2, QUOTA-DOC 2023). */
export interface TierThrottles {
  tier: 'F1' | 'S1' | 'S2' | 'S3';
  connectionsPerSecond: number;
  twinUpdatesPerSecond: number;
  jobDeviceOperationsPerSecond: number;
  registryOperationsPerSecond: number;
}

export const TIER_THROTTLES: readonly TierThrottles[] = [
  { tier: 'F1', connectionsPerSecond: 100, twinUpdatesPerSecond: 50, jobDeviceOperationsPerSecond: 10, registryOperationsPerSecond: 100 / 60 },
  { tier: 'S1', connectionsPerSecond: 100, twinUpdatesPerSecond: 50, jobDeviceOperationsPerSecond: 10, registryOperationsPerSecond: 100 / 60 },
  { tier: 'S2', connectionsPerSecond: 120, twinUpdatesPerSecond: 50, jobDeviceOperationsPerSecond: 10, registryOperationsPerSecond: 100 / 60 },
  { tier: 'S3', connectionsPerSecond: 6000, twinUpdatesPerSecond: 250, jobDeviceOperationsPerSecond: 50, registryOperationsPerSecond: 5000 / 60 },
];

/** Seconds a configuration's metrics lag on the real service (evaluated every five minutes). */
export const CONFIGURATION_CYCLE_SECONDS = 300;

/** Reported patches a device sends to converge, by the watched path (the behaviours' documented flows). */
function reportsPerDevice(scenario: Scenario): number {
  const convergence = scenario.convergence;
  if (!convergence || !('reported' in convergence)) return 0;
  if (convergence.reported.startsWith('firmware')) return 5; // downloading, verifying, applying, rebooting, current
  return 2; // Pending then Success; rebooting then rebooted
}

export interface TierEstimate {
  tier: TierThrottles['tier'];
  /** Creating the identities one registry operation each. */
  identitiesSeconds: number;
  /** Connecting every device at the tier's new-connection throttle. */
  connectSeconds: number;
  /** The rollout: devices' reported updates, service twin patches and job device operations at their throttles. */
  rolloutSeconds: number;
  /** When the rollout uses configurations: their metrics show compliance at least this late. */
  complianceVisibleAfterSeconds: number | null;
  totalSeconds: number;
}

const round = (seconds: number): number => Math.round(seconds * 10) / 10;

/** How long the same rollout would take on one unit of each real tier, given its documented throttles. */
export function estimateTiers(scenario: Scenario, devices: number): TierEstimate[] {
  const jobs = scenario.steps.filter((s) => 'startJob' in s).length;
  const patchedShare = scenario.steps.reduce((sum, s) => sum + ('patchDesired' in s ? s.patchDesired.share : 0), 0);
  const configurations = scenario.steps.filter((s) => 'createConfiguration' in s).length;
  const reports = reportsPerDevice(scenario) * devices;
  return TIER_THROTTLES.map((t) => {
    const identitiesSeconds = devices / t.registryOperationsPerSecond;
    const connectSeconds = devices / t.connectionsPerSecond;
    // Twin updates by devices and by the service share one throttle; job device operations have their own.
    const twinUpdates = reports + patchedShare * devices;
    const rolloutSeconds = twinUpdates / t.twinUpdatesPerSecond + (jobs * devices) / t.jobDeviceOperationsPerSecond;
    return {
      tier: t.tier,
      identitiesSeconds: round(identitiesSeconds),
      connectSeconds: round(connectSeconds),
      rolloutSeconds: round(rolloutSeconds),
      complianceVisibleAfterSeconds: configurations > 0 ? CONFIGURATION_CYCLE_SECONDS : null,
      totalSeconds: round(identitiesSeconds + connectSeconds + rolloutSeconds),
    };
  });
}
