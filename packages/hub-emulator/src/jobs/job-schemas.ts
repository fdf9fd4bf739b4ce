import { z } from 'zod';
import { isJsonObject, type JsonObject } from '@hubemu/shared';

/**
 * The jobs v2 API at the edge (reference 4.5): the body `PUT /jobs/v2/{id}` takes exactly as the
 * Node `JobClient` sends it (`startTime` may be null, `maxExecutionTimeInSeconds` may be absent),
 * and the JobResponse the service answers with.
 */

export const JOB_TYPES = ['scheduleUpdateTwin', 'scheduleDeviceMethod'] as const;
export type JobType = (typeof JOB_TYPES)[number];

/** Job statuses as the service's swagger names them (the Node typings' `finished` is never sent). */
export const JOB_STATUSES = ['scheduled', 'queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const DEFAULT_MAX_EXECUTION_SECONDS = 3600;

const JsonObjectSchema = z.custom<JsonObject>(isJsonObject, { message: 'expected a JSON object' });

/** Job ids: 1 to 128 printable ASCII characters without `/`, `?`, `#` or spaces (they travel in the URL path). */
export const JobIdSchema = z
  .string()
  .min(1, 'the job id is empty')
  .max(128, 'the job id is longer than 128 characters')
  .regex(/^[!-~]+$/, 'the job id may contain only printable ASCII without spaces')
  .refine((id) => !/[/?#]/.test(id), 'the job id may not contain /, ? or #');

export const CloudToDeviceMethodSchema = z.looseObject({
  methodName: z.string().min(1, 'methodName is required'),
  payload: z.unknown().optional(),
  responseTimeoutInSeconds: z.number().int().nullish(),
  connectTimeoutInSeconds: z.number().int().nullish(),
});
export type CloudToDeviceMethod = z.infer<typeof CloudToDeviceMethodSchema>;

/** The twin patch of a scheduleUpdateTwin job: tags and/or desired properties, with an etag (`*` or absent: any). */
export const UpdateTwinSchema = z.looseObject({
  tags: JsonObjectSchema.nullish(),
  properties: z
    .looseObject({
      desired: JsonObjectSchema.nullish(),
      reported: z.unknown().optional(),
    })
    .nullish(),
  etag: z.string().nullish(),
});
export type UpdateTwin = z.infer<typeof UpdateTwinSchema>;

const StartTimeSchema = z
  .string()
  .refine((text) => !Number.isNaN(Date.parse(text)), 'startTime must be an ISO-8601 date')
  .nullish();

export const JobRequestSchema = z.looseObject({
  jobId: z.union([z.string(), z.number()]).optional(),
  type: z.enum(JOB_TYPES, { message: `type must be one of ${JOB_TYPES.join(', ')}` }),
  queryCondition: z.string({ message: 'queryCondition is required (a WHERE clause without WHERE, or *)' }).min(1, 'queryCondition is empty'),
  startTime: StartTimeSchema,
  maxExecutionTimeInSeconds: z.number().int().positive('maxExecutionTimeInSeconds must be positive').nullish(),
  cloudToDeviceMethod: CloudToDeviceMethodSchema.nullish(),
  updateTwin: UpdateTwinSchema.nullish(),
});
export type JobRequest = z.infer<typeof JobRequestSchema>;

export interface DeviceJobStatistics {
  deviceCount: number;
  failedCount: number;
  succeededCount: number;
  runningCount: number;
  pendingCount: number;
}

/** What the hub stores for a job (times in epoch milliseconds). */
export interface StoredJob {
  jobId: string;
  type: JobType;
  queryCondition: string;
  createdMs: number;
  /** When the job is due (its startTime, or its creation when none was given). */
  startMs: number;
  maxExecutionTimeInSeconds: number;
  cloudToDeviceMethod?: { methodName: string; payload: unknown; responseTimeoutInSeconds: number; connectTimeoutInSeconds: number };
  updateTwin?: UpdateTwin;
  status: JobStatus;
  /** When it started running. */
  runStartedMs?: number;
  endMs?: number;
  failureReason?: string;
  statusMessage?: string;
  /** Statistics when the job was last stored; running jobs report live counts instead. */
  statistics: DeviceJobStatistics;
}

/** The JobResponse of `GET /jobs/v2/{id}`, `PUT`, `/cancel` and `/jobs/v2/query` (swagger JobResponse). */
export interface JobResponse {
  jobId: string;
  queryCondition: string;
  createdTime: string;
  startTime: string;
  endTime?: string;
  maxExecutionTimeInSeconds: number;
  type: JobType;
  cloudToDeviceMethod?: StoredJob['cloudToDeviceMethod'];
  updateTwin?: UpdateTwin;
  status: JobStatus;
  failureReason?: string;
  statusMessage?: string;
  deviceJobStatistics: DeviceJobStatistics;
}

/** `GET /jobs/v2/query?jobType=&jobStatus=`. */
export const JobQuerySchema = z.object({
  jobType: z.string().optional(),
  jobStatus: z.string().optional(),
});
