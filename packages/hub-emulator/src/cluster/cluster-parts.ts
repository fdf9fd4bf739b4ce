import type { Logger } from '@hubemu/shared';
import type { ClockControl } from '../control/clock-control.js';
import type { HubCore } from '../core.js';
import { SharedEventLog } from '../event-hub/event-log-shared.js';
import { ClusterControls } from './cluster-controls.js';
import { ClusterEvents } from './cluster-events.js';
import { ClusterLink } from './cluster-link.js';
import type { ClusterMembership } from './process-registry.js';

export interface ClusterPartsDeps {
  url: string;
  namespace: string;
  processId: string;
  membership: ClusterMembership;
  /** The test clock as the control plane moves it. */
  clock: ClockControl;
  /** Whether the dashboard is served (its live events are then shared). */
  dashboard: boolean;
  logger: Logger;
}

/** What the planes of a process of a hub cluster use to act for the whole hub. */
export interface ClusterParts {
  /** The test controls that reach every process. */
  controls: ClusterControls;
  /** The dashboard's live events of every process, when the dashboard is served. */
  events: ClusterEvents | undefined;
  close(): Promise<void>;
}

/**
 * Opens, on the cluster's Redis, what makes this process behave as part of one hub (docs/scale-out.md),
 * and hands the core its parts: the device link to the other processes (methods, disconnects) and the
 * Event Hubs-compatible log they share.
 */
export async function openClusterParts(core: HubCore, deps: ClusterPartsDeps): Promise<ClusterParts> {
  const { url, namespace, processId, logger } = deps;
  const opened: Array<{ close(): Promise<void> }> = [];
  const closeAll = async (): Promise<void> => {
    for (const part of opened.splice(0).reverse()) await part.close();
  };
  try {
    const link = await ClusterLink.open({ url, namespace, membership: deps.membership, table: core.table, links: core.links, methods: core.methods, logger });
    opened.push(link);
    const controls = await ClusterControls.open({ url, namespace, processId, faults: core.faults, clock: deps.clock, traffic: (filter) => core.traffic.list(filter), logger });
    opened.push(controls);
    const events = deps.dashboard ? await ClusterEvents.open({ url, namespace, processId, logger }) : undefined;
    if (events) opened.push(events);
    // At least as many events as the log keeps, so a process that starts later reads what the others hold.
    const maxLength = Math.max(core.options.telemetryBufferSize, 10_000);
    const eventLog = await SharedEventLog.open({ url, namespace, processId, log: core.eventHub, now: () => core.clock.now(), maxLength, logger });
    opened.push(eventLog);
    core.links.register(link);
    core.shareEventLog(eventLog);
    return { controls, events, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
