import type { LatencySummary } from '@hubemu/device-agent';
import type { HistogramBucket, RolloutMessages, TimelineSample } from './fleet-recorder.js';
import type { Scenario } from './scenario.js';
import type { TierEstimate } from './tier-estimate.js';

/** Errors and failures of one kind, with a few of the devices they happened to. */
export interface ErrorKind {
  reason: string;
  count: number;
  deviceIds: string[];
}

/** What `hubemu fleet run` writes with --report and prints with --output json. Times are milliseconds unless named otherwise. */
export interface FleetRunReport {
  scenario: { name: string; source: string; definition: Scenario };
  versions: { hubemu: string; node: string };
  run: {
    startedAt: string;
    endedAt: string;
    durationMs: number;
    /** Stopped by Ctrl-C (SIGINT) before the scenario finished. */
    interrupted: boolean;
    /** What ended the run: its last step, Ctrl-C, or the hub the command started exiting under it. */
    endedBy: 'scenario' | 'interrupt' | 'hub exit';
    /** `started` when the command started its own hub (then `hub` below has its CPU and memory). */
    hub: 'started' | 'given';
    transport: string;
    seed: number;
    connectRateLimit: number;
    processes: number;
    sourceAddresses: string[];
    /** Whether devices offered TLS session resumption (mqtts and wss), and how many of their connections resumed one. */
    tlsSessionResumption: { offered: boolean; connections: number; resumed: number };
  };
  devices: { planned: number; connected: number; converged: number; failed: number };
  identities: { created: number; createMs: number; removed: number; kept: boolean };
  connect: { ratePerSecond: number; latencyMs: LatencySummary; retried: number; reconnects: number; lost: number };
  convergence: {
    /** What counts as converged (the scenario's rule); null when the scenario measures none. */
    rule: Scenario['convergence'] | null;
    /** Epoch ms of the rollout's first step (e.g. the configuration's create request). */
    startedAt: number | null;
    latencyMs: LatencySummary;
    failed: number;
    timeToPercentMs: Record<'50' | '90' | '99' | '100', number | null>;
  };
  errors: ErrorKind[];
  messages: {
    deviceToHub: number;
    hubToDevice: number;
    deviceToHubPerSecond: number;
    hubToDevicePerSecond: number;
    /** Over the rollout's window (its start to the last device's convergence); null when nothing converged. */
    rollout: RolloutMessages | null;
  };
  hub: {
    pid: number;
    cpu: { meanPercent: number; maxPercent: number };
    memory: { startRssMb: number; maxRssMb: number; endRssMb: number; perConnectedDeviceKb: number | null };
  } | null;
  steps: Array<{ step: string; startedAtMs: number; durationMs: number; outcome: string }>;
  /** How long the same rollout would take on each real tier (`--tier-units` units), given its documented throttles. */
  tiers: TierEstimate[];
  /** Twice a second: devices connected/converged/failed, messages per second, the hub's CPU and memory. */
  timeline: TimelineSample[];
  /** Latency histograms (devices per bucket of at most `le` ms). */
  distributions: { connectMs: HistogramBucket[]; convergenceMs: HistogramBucket[] };
}
