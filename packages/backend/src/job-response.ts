import { z } from 'zod';
import type { JsonObject } from '@hubemu/shared';
import { expectBody } from './responses.js';
import type { RestResponse } from './rest-client.js';

/** The jobs v2 types (reference 4.5). */
export type JobType = 'scheduleUpdateTwin' | 'scheduleDeviceMethod';

/**
 * Job statuses as the service's swagger names them. hubemu sends `scheduled`, `queued`, `running`,
 * `completed`, `failed` and `cancelled`; a real hub may send the others.
 */
export type JobStatus = 'unknown' | 'enqueued' | 'scheduled' | 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

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

/** The twin patch a scheduleUpdateTwin job writes (tags and/or desired properties). */
export interface JobTwinPatch {
  tags?: JsonObject;
  properties?: { desired?: JsonObject };
  /** `*` (the default) writes whatever the twin's etag; any other value is an If-Match on every twin. */
  etag?: string;
}

/** The service's JobResponse: what `PUT`, `GET`, `/cancel` and `/jobs/v2/query` answer with. */
export interface JobResponse {
  jobId: string;
  queryCondition?: string;
  createdTime?: string;
  startTime?: string;
  endTime?: string;
  maxExecutionTimeInSeconds?: number;
  type: JobType;
  cloudToDeviceMethod?: { methodName: string; payload: unknown; responseTimeoutInSeconds: number; connectTimeoutInSeconds: number };
  updateTwin?: JobTwinPatch;
  status: JobStatus;
  failureReason?: string;
  statusMessage?: string;
  deviceJobStatistics?: DeviceJobStatistics;
}

/** What the client relies on in a JobResponse; the rest passes through as the hub sent it. */
export const JobResponseSchema = z.looseObject({
  jobId: z.string(),
  type: z.string(),
  status: z.string(),
  deviceJobStatistics: z
    .looseObject({
      deviceCount: z.number(),
      failedCount: z.number(),
      succeededCount: z.number(),
      runningCount: z.number(),
      pendingCount: z.number(),
    })
    .optional(),
});

/** A JobResponse, checked; returned as the hub sent it (field order kept). */
export function asJob(answer: RestResponse, what: string): JobResponse {
  expectBody(JobResponseSchema, answer, what);
  return answer.body as JobResponse;
}
