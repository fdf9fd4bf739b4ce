import type { TwinPatch } from './twin.js';

/** The jobs v2 wire types (reference 4.5), shared by the hub that answers them and the clients that read them. */

export const JOB_TYPES = ['scheduleUpdateTwin', 'scheduleDeviceMethod'] as const;
export type JobType = (typeof JOB_TYPES)[number];

/**
 * Job statuses as the service's swagger names them. hubemu sends `scheduled`, `queued`, `running`,
 * `completed`, `failed` and `cancelled`; a real hub may also send `unknown` and `enqueued`.
 */
export const JOB_STATUSES = ['unknown', 'enqueued', 'scheduled', 'queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const FINAL_JOB_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

/** True for `completed`, `failed` and `cancelled`: the job will not change any more. */
export function isFinalJobStatus(status: string): boolean {
  return (FINAL_JOB_STATUSES as readonly string[]).includes(status);
}

export interface DeviceJobStatistics {
  deviceCount: number;
  failedCount: number;
  succeededCount: number;
  runningCount: number;
  pendingCount: number;
}

/** The direct method a scheduleDeviceMethod job calls on every device. */
export interface JobMethodCall {
  methodName: string;
  payload: unknown;
  responseTimeoutInSeconds: number;
  connectTimeoutInSeconds: number;
}

/** The twin patch a scheduleUpdateTwin job writes: tags and/or desired properties, and an etag (`*` or absent: any twin). */
export type JobTwinPatch = TwinPatch;

/** The service's JobResponse: what `PUT`, `GET`, `/cancel` and `/jobs/v2/query` answer with. */
export interface JobResponse {
  jobId: string;
  queryCondition?: string;
  createdTime?: string;
  startTime?: string;
  endTime?: string;
  maxExecutionTimeInSeconds?: number;
  type: JobType;
  cloudToDeviceMethod?: JobMethodCall;
  updateTwin?: JobTwinPatch;
  status: JobStatus;
  failureReason?: string;
  statusMessage?: string;
  deviceJobStatistics?: DeviceJobStatistics;
}
