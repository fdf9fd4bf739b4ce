import type { TrafficCounters } from '../client/traffic.js';
import type { LatencySummary } from './latency.js';

export interface FleetFailure {
  reason: string;
  count: number;
  /** A few of the devices it happened to. */
  deviceIds: string[];
}

/** What a fleet run did, with numbers. Times are milliseconds on the fleet's scheduler clock. */
export interface FleetReport {
  elapsedMs: number;
  devices: {
    planned: number;
    /** Connected now. */
    connected: number;
    /** Twin synced and behaviours attached at least once. */
    ready: number;
    /** Never managed to connect (see failures). */
    failed: number;
    /** Not yet tried, or trying. */
    pending: number;
  };
  /** From the start of an attempt to CONNACK (first connection of each device). */
  connectMs: LatencySummary;
  /** From the start of an attempt to twin synced and behaviours running. */
  readyMs: LatencySummary;
  /** Why devices failed to come up. */
  failures: FleetFailure[];
  /** Background errors after devices came up (refused subscriptions, lost method answers...). */
  errors: FleetFailure[];
  /** Connections lost while up, and reconnections (including reboots and token renewals). */
  connectionsLost: number;
  reconnects: number;
  messages: TrafficCounters & {
    /** sent / elapsed seconds */
    sentPerSecond: number;
    receivedPerSecond: number;
  };
  /** Desired `$version` arrived -> the behaviours' matching report done. */
  convergence: LatencySummary & {
    applied: number;
    failed: number;
    /** Desired changes being handled right now. */
    inFlight: number;
  };
  byModel: Record<string, { planned: number; connected: number; ready: number; failed: number }>;
}
