import { setTimeout as pause } from 'node:timers/promises';
import { isFinalJobStatus, type JobResponse, type JobStatus, type JobTwinPatch, type JobType } from '@hubemu/shared';
import { asJob } from './job-response.js';
import type { MethodCall } from './methods-api.js';
import type { QueryPage } from './query-api.js';
import { pathOf, type RestClient } from './rest-client.js';
import { ServiceError } from './service-error.js';

/** Which devices a job runs on, and when. */
export interface JobSchedule {
  /** A WHERE condition without `WHERE` (`tags.building = '43'`), or `*` for every device. */
  queryCondition: string;
  /** When the job starts (default: at once). A Date, or an ISO-8601 string sent as it is. */
  startTime?: Date | string;
  /** How long the job may run before the hub fails what is left (default 3600, as Microsoft's SDK). */
  maxExecutionTimeInSeconds?: number;
}

/** A scheduleUpdateTwin job: the same patch merged into every matching twin. */
export interface TwinUpdateJob extends JobSchedule {
  twinPatch: JobTwinPatch;
}

/** A scheduleDeviceMethod job: the same direct method invoked on every matching device. */
export interface DeviceMethodJob extends JobSchedule {
  /** Timeouts as for a single call: response 30 s and connect 0 s (the device must be online) by default. */
  method: MethodCall;
}

export interface JobListOptions {
  jobType?: JobType;
  jobStatus?: JobStatus;
  /** Jobs per request (`x-ms-max-item-count`; the service serves at most 100). */
  pageSize?: number;
}

export interface JobWaitOptions {
  /** Give up after this long (default 600 000 ms, az's `--poll-duration`): ServiceError `JobWaitTimeout`. */
  timeoutMs?: number;
  /** Longest pause between two reads (default 2000 ms). The first reads come quickly (50 ms, doubling up to it). */
  pollIntervalMs?: number;
  /** Called with the job after every read that did not find it finished (progress output). */
  onPoll?: (job: JobResponse) => void;
}

const DEFAULT_MAX_EXECUTION_SECONDS = 3600;
const FIRST_POLL_MS = 50;

function startTimeOf(startTime: Date | string | undefined): string | null {
  if (startTime === undefined) return null;
  return typeof startTime === 'string' ? startTime : startTime.toISOString();
}

function progressOf(job: JobResponse): string {
  const stats = job.deviceJobStatistics;
  if (!stats) return `status ${job.status}`;
  return `status ${job.status}, ${stats.succeededCount + stats.failedCount} of ${stats.deviceCount} device(s) done`;
}

/**
 * Jobs v2 (reference 4.5): `PUT /jobs/v2/{id}` schedules a twin update or a direct method on the
 * devices matching a condition; `GET`, `POST .../cancel`; `GET /jobs/v2/query` paged with
 * `x-ms-continuation`. Per-device results are rows of `SELECT * FROM devices.jobs WHERE
 * devices.jobs.jobId = '...'` (use `client.query`).
 */
export class JobsApi {
  constructor(private readonly rest: RestClient) {}

  /** Schedules a twin update (tags and/or desired properties); resolves with the job as created (`queued`, also when it starts later). */
  async scheduleTwinUpdate(jobId: string, job: TwinUpdateJob): Promise<JobResponse> {
    return this.create(jobId, 'scheduleUpdateTwin', job, { updateTwin: { ...job.twinPatch, etag: job.twinPatch.etag ?? '*' } });
  }

  /** Schedules a direct method call; resolves with the job as created (`queued`, also when it starts later). */
  async scheduleDeviceMethod(jobId: string, job: DeviceMethodJob): Promise<JobResponse> {
    const { method } = job;
    return this.create(jobId, 'scheduleDeviceMethod', job, {
      cloudToDeviceMethod: {
        methodName: method.methodName,
        payload: method.payload ?? null,
        responseTimeoutInSeconds: method.responseTimeoutInSeconds ?? 30,
        connectTimeoutInSeconds: method.connectTimeoutInSeconds ?? 0,
      },
    });
  }

  /** The job with its live `deviceJobStatistics`; 404 JobNotFound when unknown. */
  async get(jobId: string): Promise<JobResponse> {
    return asJob(await this.rest.request({ method: 'GET', path: pathOf('jobs', 'v2', jobId) }), 'get job');
  }

  /** Cancels a job that has not finished (devices not yet started are skipped); a finished job comes back unchanged. */
  async cancel(jobId: string): Promise<JobResponse> {
    return asJob(await this.rest.request({ method: 'POST', path: pathOf('jobs', 'v2', jobId, 'cancel') }), 'cancel job');
  }

  /** The pages of `GET /jobs/v2/query`, oldest job first, fetched one at a time as you iterate. */
  async *pages(options: JobListOptions = {}): AsyncGenerator<QueryPage<JobResponse>> {
    const pages = this.rest.pages<unknown>((continuation) => ({
      method: 'GET',
      path: '/jobs/v2/query',
      query: { jobType: options.jobType, jobStatus: options.jobStatus },
      headers: { 'x-ms-continuation': continuation, 'x-ms-max-item-count': options.pageSize },
    }));
    for await (const page of pages) {
      const itemType = page.headers['x-ms-item-type'];
      yield {
        items: page.items.map((item) => asJob({ status: 200, headers: page.headers, body: item }, 'query jobs')),
        itemType: Array.isArray(itemType) ? itemType[0] : itemType,
      };
    }
  }

  /** The jobs matching the filters, across pages. */
  async *items(options: JobListOptions = {}): AsyncGenerator<JobResponse> {
    for await (const page of this.pages(options)) yield* page.items;
  }

  /** The jobs matching the filters, up to `top` (every one when absent). */
  async list(options: JobListOptions & { top?: number } = {}): Promise<JobResponse[]> {
    const { top, ...filters } = options;
    const jobs: JobResponse[] = [];
    if (top !== undefined && top < 1) return jobs;
    const pageSize = filters.pageSize ?? (top === undefined ? undefined : Math.min(top, 100));
    for await (const job of this.items({ ...filters, ...(pageSize === undefined ? {} : { pageSize }) })) {
      jobs.push(job);
      if (top !== undefined && jobs.length >= top) break;
    }
    return jobs;
  }

  /**
   * Reads the job until it is `completed`, `failed` or `cancelled` and resolves with it. Past
   * `timeoutMs` it rejects with ServiceError `JobWaitTimeout` (status 0) saying where the job was.
   */
  async waitUntilFinished(jobId: string, options: JobWaitOptions = {}): Promise<JobResponse> {
    const timeoutMs = options.timeoutMs ?? 600_000;
    const maxPause = Math.max(1, options.pollIntervalMs ?? 2000);
    const deadline = Date.now() + timeoutMs;
    let wait = Math.min(FIRST_POLL_MS, maxPause);
    for (;;) {
      const job = await this.get(jobId);
      if (isFinalJobStatus(job.status)) return job;
      options.onPoll?.(job);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ServiceError({
          status: 0,
          errorCode: 'JobWaitTimeout',
          message: `The job '${jobId}' did not finish within ${timeoutMs} ms (${progressOf(job)}).`,
          body: JSON.stringify(job),
        });
      }
      await pause(Math.min(wait, left));
      wait = Math.min(wait * 2, maxPause);
    }
  }

  private async create(jobId: string, type: JobType, schedule: JobSchedule, operation: Record<string, unknown>): Promise<JobResponse> {
    // Field order as Microsoft's JobClient sends it.
    const body = {
      jobId,
      type,
      ...operation,
      queryCondition: schedule.queryCondition,
      startTime: startTimeOf(schedule.startTime),
      maxExecutionTimeInSeconds: schedule.maxExecutionTimeInSeconds ?? DEFAULT_MAX_EXECUTION_SECONDS,
    };
    return asJob(await this.rest.request({ method: 'PUT', path: pathOf('jobs', 'v2', jobId), body }), 'create job');
  }
}
