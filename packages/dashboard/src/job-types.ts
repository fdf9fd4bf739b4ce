import { quote } from './query-text.js';

/** A job as `GET /jobs/v2/{id}` answers it (the fields the pages read). */
export interface Job {
  jobId: string;
  type: 'scheduleUpdateTwin' | 'scheduleDeviceMethod';
  queryCondition: string;
  status: string;
  createdTime?: string;
  startTime?: string;
  endTime?: string;
  failureReason?: string;
  statusMessage?: string;
  cloudToDeviceMethod?: { methodName: string };
  deviceJobStatistics?: JobStatistics;
}

export interface JobStatistics {
  deviceCount: number;
  succeededCount: number;
  failedCount: number;
  runningCount: number;
  pendingCount: number;
}

/** One device's row of a job (`SELECT * FROM devices.jobs WHERE devices.jobs.jobId = '...'`). */
export interface DeviceJobRow {
  deviceId: string;
  jobId: string;
  status: string;
  /** The row's own last change (its startTimeUtc and endTimeUtc are the job's window, as the service shows them). */
  lastUpdatedDateTimeUtc?: string;
  outcome?: { deviceMethodResponse?: { status: number; payload: unknown } | null };
  error?: { code?: string; description?: string };
}

/** `completed`, `failed` and `cancelled`: the job will not change any more. */
export const isFinal = (status: string): boolean => ['completed', 'failed', 'cancelled'].includes(status);

/** The device rows of one job, as a query over `devices.jobs`. */
export const jobRowsQuery = (jobId: string): string => `SELECT * FROM devices.jobs WHERE devices.jobs.jobId = ${quote(jobId)}`;

/** A time as the page shows it: the local time of day, or a dash. */
export const timeOf = (iso: string | undefined): string => (!iso || iso.startsWith('0001') ? '—' : new Date(iso).toLocaleTimeString());
