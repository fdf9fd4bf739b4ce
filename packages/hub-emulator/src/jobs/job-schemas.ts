import { z } from 'zod';
import {
  JOB_TYPES,
  MethodRequestSchema,
  TwinPatchSchema,
  type DeviceJobStatistics,
  type JobMethodCall,
  type JobStatus,
  type JobType,
  type TwinPatch,
} from '@hubemu/shared';

/**
 * The jobs v2 API at the edge (reference 4.5): the body `PUT /jobs/v2/{id}` takes exactly as the
 * Node `JobClient` sends it (`startTime` may be null, `maxExecutionTimeInSeconds` may be absent),
 * and the JobResponse the service answers with.
 */

/** The statuses hubemu's jobs go through (the swagger's `unknown` and `enqueued` are never sent; nor is the Node typings' `finished`). */
export type HubJobStatus = Exclude<JobStatus, 'unknown' | 'enqueued'>;

export const DEFAULT_MAX_EXECUTION_SECONDS = 3600;
/**
 * The longest `maxExecutionTimeInSeconds` hubemu accepts: 2^31 - 1 s (about 68 years). The service
 * documents only "integer" and the SDKs send any number; this bound keeps every deadline a valid
 * date (1e13 s is past the end of JavaScript time and left a job `running` for ever).
 */
export const MAX_EXECUTION_SECONDS = 2 ** 31 - 1;

/** Job ids: 1 to 128 printable ASCII characters without `/`, `?`, `#` or spaces (they travel in the URL path). */
export const JobIdSchema = z
  .string()
  .min(1, 'the job id is empty')
  .max(128, 'the job id is longer than 128 characters')
  .regex(/^[!-~]+$/, 'the job id may contain only printable ASCII without spaces')
  .refine((id) => !/[/?#]/.test(id), 'the job id may not contain /, ? or #');

/** A method job's call: the direct-method request grammar (name, payload depth, timeouts), so both refuse alike. */
export const CloudToDeviceMethodSchema = MethodRequestSchema;
export type CloudToDeviceMethod = z.infer<typeof CloudToDeviceMethodSchema>;

/** The twin patch of a scheduleUpdateTwin job: tags and/or desired properties, with an etag (`*` or absent: any). */
export type UpdateTwin = TwinPatch;

const StartTimeSchema = z
  .string()
  .refine((text) => !Number.isNaN(Date.parse(text)), 'startTime must be an ISO-8601 date')
  .nullish();

export const JobRequestSchema = z.looseObject({
  jobId: z.union([z.string(), z.number()]).optional(),
  type: z.enum(JOB_TYPES, { message: `type must be one of ${JOB_TYPES.join(', ')}` }),
  queryCondition: z.string({ message: 'queryCondition is required (a WHERE clause without WHERE, or *)' }).min(1, 'queryCondition is empty'),
  startTime: StartTimeSchema,
  maxExecutionTimeInSeconds: z
    .number()
    .int('maxExecutionTimeInSeconds must be a whole number of seconds')
    .positive('maxExecutionTimeInSeconds must be positive')
    .max(MAX_EXECUTION_SECONDS, `maxExecutionTimeInSeconds must be at most ${MAX_EXECUTION_SECONDS}`)
    .nullish(),
  cloudToDeviceMethod: CloudToDeviceMethodSchema.nullish(),
  updateTwin: TwinPatchSchema.nullish(),
});
export type JobRequest = z.infer<typeof JobRequestSchema>;

/** What the hub stores for a job (times in epoch milliseconds). */
export interface StoredJob {
  jobId: string;
  type: JobType;
  queryCondition: string;
  createdMs: number;
  /** When the job is due (its startTime, or its creation when none was given). */
  startMs: number;
  maxExecutionTimeInSeconds: number;
  cloudToDeviceMethod?: JobMethodCall;
  updateTwin?: UpdateTwin;
  status: HubJobStatus;
  /** When it started running. */
  runStartedMs?: number;
  endMs?: number;
  failureReason?: string;
  statusMessage?: string;
  /** Statistics when the job was last stored; running jobs report live counts instead. */
  statistics: DeviceJobStatistics;
}

/** `GET /jobs/v2/query?jobType=&jobStatus=`. */
export const JobQuerySchema = z.object({
  jobType: z.string().optional(),
  jobStatus: z.string().optional(),
});
