import type { Scenario } from './scenario.js';

export type TierName = 'F1' | 'S1' | 'S2' | 'S3';

/** A tier's documented throttles for a hub of `units` units (reference 3.2, QUOTA-DOC 2023), per second. */
export interface TierThrottles {
  tier: TierName;
  units: number;
  connectionsPerSecond: number;
  twinUpdatesPerSecond: number;
  jobDeviceOperationsPerSecond: number;
  registryOperationsPerSecond: number;
}

/** The most units a hub of the tier can have (Azure's scaling page: F1 is one free unit, S1 and S2 up to 200, S3 up to 10). */
export const MAX_UNITS: Readonly<Record<TierName, number>> = { F1: 1, S1: 200, S2: 200, S3: 10 };

export const TIER_NAMES: readonly TierName[] = ['F1', 'S1', 'S2', 'S3'];

/**
 * The throttles of a hub of `units` units of a tier, as the reference's table gives them: some grow with
 * units, some have a floor (`max(100/s, 12/s/unit)`), and F1/S1 twin updates and job device operations do not
 * grow at all. `units` is capped at the tier's maximum.
 */
export function tierThrottles(tier: TierName, requestedUnits: number): TierThrottles {
  const u = Math.max(1, Math.min(Math.floor(requestedUnits), MAX_UNITS[tier]));
  if (tier === 'S3') return { tier, units: u, connectionsPerSecond: 6000 * u, twinUpdatesPerSecond: 250 * u, jobDeviceOperationsPerSecond: 50 * u, registryOperationsPerSecond: (5000 / 60) * u };
  if (tier === 'S2') return { tier, units: u, connectionsPerSecond: 120 * u, twinUpdatesPerSecond: Math.max(50, 5 * u), jobDeviceOperationsPerSecond: Math.max(10, u), registryOperationsPerSecond: (100 / 60) * u };
  return { tier, units: u, connectionsPerSecond: Math.max(100, 12 * u), twinUpdatesPerSecond: 50, jobDeviceOperationsPerSecond: 10, registryOperationsPerSecond: (100 / 60) * u };
}

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
  tier: TierName;
  /** Units the estimate is for (the requested number, capped at the tier's maximum). */
  units: number;
  /** Creating the identities one registry operation each. */
  identitiesSeconds: number;
  /** Connecting every device at the tier's new-connection throttle. */
  connectSeconds: number;
  /** The rollout: devices' reported updates, service twin patches and job device operations at their throttles. */
  rolloutSeconds: number;
  /** When the rollout uses configurations: their metrics show compliance at least this late. */
  complianceVisibleAfterSeconds: number | null;
  totalSeconds: number;
  /**
   * The fewest units of the tier whose throttles let the rollout finish within the time it took here (the
   * measured time to 100 % converged); null when no number of units can (the throttle does not grow with
   * units, or the tier's maximum is not enough) or nothing was measured.
   */
  unitsToMatchMeasured: number | null;
}

const round = (seconds: number): number => Math.round(seconds * 10) / 10;

/** The work a scenario's rollout asks of the throttles, for `devices` devices. */
function rolloutWork(scenario: Scenario, devices: number): { twinUpdates: number; jobDeviceOperations: number } {
  const jobs = scenario.steps.filter((s) => 'startJob' in s).length;
  const patchedShare = scenario.steps.reduce((sum, s) => sum + ('patchDesired' in s ? s.patchDesired.share : 0), 0);
  // Twin updates by devices and by the service share one throttle; job device operations have their own.
  return { twinUpdates: reportsPerDevice(scenario) * devices + patchedShare * devices, jobDeviceOperations: jobs * devices };
}

function rolloutSecondsAt(t: TierThrottles, work: { twinUpdates: number; jobDeviceOperations: number }): number {
  return work.twinUpdates / t.twinUpdatesPerSecond + work.jobDeviceOperations / t.jobDeviceOperationsPerSecond;
}

export interface TierEstimateOptions {
  /** Units of each tier (default 1; F1 has one). */
  units?: number;
  /** The rollout's measured time to 100 % converged, in seconds (for `unitsToMatchMeasured`). */
  measuredRolloutSeconds?: number | null;
}

/** How long the same rollout would take on each real tier with `units` units, given its documented throttles. */
export function estimateTiers(scenario: Scenario, devices: number, options: TierEstimateOptions = {}): TierEstimate[] {
  const configurations = scenario.steps.filter((s) => 'createConfiguration' in s).length;
  const work = rolloutWork(scenario, devices);
  const measured = options.measuredRolloutSeconds ?? null;
  return TIER_NAMES.map((tier) => {
    const t = tierThrottles(tier, options.units ?? 1);
    const identitiesSeconds = devices / t.registryOperationsPerSecond;
    const connectSeconds = devices / t.connectionsPerSecond;
    const rolloutSeconds = rolloutSecondsAt(t, work);
    let unitsToMatchMeasured: number | null = null;
    if (measured !== null && measured > 0) {
      for (let u = 1; u <= MAX_UNITS[tier] && unitsToMatchMeasured === null; u++) {
        if (rolloutSecondsAt(tierThrottles(tier, u), work) <= measured) unitsToMatchMeasured = u;
      }
    }
    return {
      tier,
      units: t.units,
      identitiesSeconds: round(identitiesSeconds),
      connectSeconds: round(connectSeconds),
      rolloutSeconds: round(rolloutSeconds),
      complianceVisibleAfterSeconds: configurations > 0 ? CONFIGURATION_CYCLE_SECONDS : null,
      totalSeconds: round(identitiesSeconds + connectSeconds + rolloutSeconds),
      unitsToMatchMeasured,
    };
  });
}
