import type { DeviceJobStatistics, DeviceJobStatus } from '@hubemu/shared';
import type { HubJobStatus } from './job-schemas.js';

/**
 * The pure rules of a job's life: `scheduled` (start in the future) or `queued` at creation, then
 * `running`, then `completed`, `failed` or `cancelled`; and the statistics that follow each
 * device's own `pending -> running -> completed | failed` (or `cancelled`).
 */

export type JobEvent = 'due' | 'start' | 'finish' | 'fail' | 'cancel';

const TRANSITIONS: Readonly<Record<HubJobStatus, Partial<Record<JobEvent, HubJobStatus>>>> = {
  scheduled: { due: 'queued', cancel: 'cancelled', fail: 'failed' },
  queued: { start: 'running', cancel: 'cancelled', fail: 'failed' },
  running: { finish: 'completed', fail: 'failed', cancel: 'cancelled' },
  completed: {},
  failed: {},
  cancelled: {},
};

/** A job whose start time is later than now waits as `scheduled`; any other job is `queued`. */
export function initialStatus(startMs: number, nowMs: number): 'scheduled' | 'queued' {
  return startMs > nowMs ? 'scheduled' : 'queued';
}

/**
 * The status the service reports for a job: one waiting for its start time answers `queued`, as IoT Hub
 * does (Microsoft's Node SDK e2e tests expect `queued` in the create answer of a job scheduled an hour
 * ahead); `scheduled` stays internal, telling the start timer which jobs wait.
 */
export function reportedStatus(status: HubJobStatus): Exclude<HubJobStatus, 'scheduled'> {
  return status === 'scheduled' ? 'queued' : status;
}

/** The next status, or undefined when the event does not apply (a finished job stays finished). */
export function nextStatus(status: HubJobStatus, event: JobEvent): HubJobStatus | undefined {
  return TRANSITIONS[status][event];
}

export function emptyStatistics(): DeviceJobStatistics {
  return { deviceCount: 0, failedCount: 0, succeededCount: 0, runningCount: 0, pendingCount: 0 };
}

type Bucket = 'pendingCount' | 'runningCount' | 'succeededCount' | 'failedCount' | undefined;

/** Which counter a device status adds to; `cancelled` devices count in `deviceCount` only. */
function bucketOf(status: DeviceJobStatus): Bucket {
  switch (status) {
    case 'pending':
    case 'scheduled':
      return 'pendingCount';
    case 'running':
      return 'runningCount';
    case 'completed':
      return 'succeededCount';
    case 'failed':
      return 'failedCount';
    case 'cancelled':
      return undefined;
  }
}

/** Statistics of a set of device rows. */
export function tallyStatistics(statuses: Iterable<DeviceJobStatus>): DeviceJobStatistics {
  const stats = emptyStatistics();
  for (const status of statuses) {
    stats.deviceCount += 1;
    const bucket = bucketOf(status);
    if (bucket) stats[bucket] += 1;
  }
  return stats;
}

/** The statistics after one device moved from `from` (undefined: a new device) to `to`. */
export function moveDevice(stats: DeviceJobStatistics, from: DeviceJobStatus | undefined, to: DeviceJobStatus): DeviceJobStatistics {
  const next = { ...stats };
  if (from === undefined) next.deviceCount += 1;
  else {
    const before = bucketOf(from);
    if (before) next[before] -= 1;
  }
  const after = bucketOf(to);
  if (after) next[after] += 1;
  return next;
}

export function isDeviceTerminal(status: DeviceJobStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}
