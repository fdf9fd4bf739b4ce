import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { formatTimestamp, HubError, isFinalJobStatus, silentLogger, type HubClock, type Timer, type DeviceJobRecord, type DeviceJobStatistics, type DeviceJobStatus, type JobResponse, type Logger } from '@hubemu/shared';
import type { JobRepository } from './job-repository.js';
import { renderJob } from './job-response.js';
import { decodeJobCursor, encodeJobCursor, jobOrderKey } from './job-cursor.js';
import { deviceOperation, type JobMethodInvoker, type JobTwinWriter } from './job-operations.js';
import { failInterruptedJobs } from './job-recovery.js';
import { normaliseJobRequest } from './job-request.js';
import { runDevices, type DeviceResult } from './job-runner.js';
import type { HubJobStatus, JobRequest, StoredJob } from './job-schemas.js';
import { emptyStatistics, isDeviceTerminal, moveDevice, nextStatus, reportedStatus, type JobEvent } from './job-state.js';
import { RateLimiter } from './rate-limiter.js';

export type { JobMethodInvoker, JobTwinWriter } from './job-operations.js';

/** Which devices a job runs on: the twins matching its queryCondition (the query service). */
export interface JobTargets {
  /** Brings the query engine up to date with changed twins, yielding to the event loop between chunks. */
  catchUp(): Promise<void>;
  matchDevices(condition: string): ReadonlyArray<{ deviceId: string }>;
}

export interface JobServiceOptions {
  /** Jobs active (scheduled, queued, running) at once; more are refused with 429 ThrottlingMaxActiveJobCountExceeded. */
  maxConcurrentJobs?: number | undefined;
  /** Device operations per second across every running job. */
  deviceOperationsPerSecond?: number | undefined;
  /** Method calls in flight per job (default 100). */
  methodParallelism?: number;
  /** Devices handled between two yields to the event loop (default 200). */
  chunkSize?: number;
  /**
   * Whether this process runs jobs (default true). On a hub of several processes only the leader does
   * (docs/scale-out.md): the others store jobs and cancellations, and follow what the leader writes.
   */
  leading?: boolean;
  /** Asked before each device of a run: false once this process may no longer be the leader (its lease may have passed on), and the run stops. */
  stillLeading?: () => boolean;
}

export interface JobServiceDeps {
  repository: JobRepository;
  targets: JobTargets;
  twins: JobTwinWriter;
  methods: JobMethodInvoker;
  clock: HubClock;
  logger?: Logger;
  options?: JobServiceOptions;
}

export interface JobQuery {
  jobType?: string | undefined;
  jobStatus?: string | undefined;
  /** 1..100, default 100. */
  pageSize?: number | undefined;
  continuation?: string | undefined;
}

export interface JobPage {
  items: JobResponse[];
  /** Present only while more pages remain. */
  continuation?: string;
}

/** What a running job keeps in memory. */
interface Run {
  statistics: DeviceJobStatistics;
  /** Set when the job stops taking devices: cancelled, out of time, or the hub stopped. */
  stop?: 'cancelled' | 'expired' | 'closed';
  deadline?: Timer;
}

/** A timer whose work failed (the store refusing writes) tries again after this long. */
const TIMER_RETRY_MS = 1_000;

/**
 * Jobs v2 (reference 4.5): schedule a twin update or a direct method on the devices matching a query
 * condition, now or at a start time; track each device in a `devices.jobs` row and the job's
 * statistics live; cancel; query jobs with paging. Jobs survive a restart of a durable hub: scheduled
 * and queued jobs run as planned, a job that was running is marked failed (see docs/jobs.md).
 */
/** How long a finished job and its device rows are kept (reference 3.2: job history is kept 30 days). */
const JOB_HISTORY_MS = 30 * 86_400_000;

export class JobService {
  private readonly repository: JobRepository;
  private readonly clock: HubClock;
  private readonly logger: Logger;
  private readonly limiter: RateLimiter;
  private readonly runs = new Map<string, Run>();
  private readonly waiters = new Map<string, Array<(job: JobResponse) => void>>();
  private scheduleTimer: Timer | undefined;
  private closed = false;
  private leading: boolean;

  constructor(private readonly deps: JobServiceDeps) {
    this.repository = deps.repository;
    this.clock = deps.clock;
    this.logger = deps.logger ?? silentLogger;
    this.limiter = new RateLimiter(deps.options?.deviceOperationsPerSecond, deps.clock);
    this.leading = deps.options?.leading ?? true;
    if (this.leading) this.recover();
  }

  /** This process became the cluster's leader: jobs left running by the one before fail as after a restart, queued ones start, scheduled ones wait. */
  lead(): void {
    if (this.leading) return;
    this.leading = true;
    this.closed = false;
    this.recover();
  }

  /** This process is no longer the leader: its runs stop (the next leader fails what they left running). */
  follow(): void {
    if (!this.leading) return;
    this.leading = false;
    const waiters = [...this.waiters];
    this.halt();
    this.closed = false;
    for (const [jobId, list] of waiters) this.waiters.set(jobId, list);
  }

  /** Another process stored `job` (docs/scale-out.md): the leader runs or stops it; every process wakes `whenFinished` callers. */
  jobStored(job: StoredJob): void {
    if (isFinalJobStatus(job.status)) this.wake(job);
    if (!this.leading || this.closed) return;
    if (job.status === 'queued' && !this.runs.has(job.jobId)) this.startSoon(job.jobId);
    else if (job.status === 'scheduled') this.armSchedule();
    else if (job.status === 'cancelled') {
      const run = this.runs.get(job.jobId);
      if (run && !run.stop) {
        run.stop = 'cancelled';
        this.endPending(job, run, 'cancelled');
      }
    }
  }

  /** `PUT /jobs/v2/{id}` with a request parsed at its edge (parseJobRequest): stores the job and answers `queued` or `scheduled`. */
  create(jobId: string, request: JobRequest): JobResponse {
    this.forgetOldJobs();
    const job = normaliseJobRequest(jobId, request, this.clock.now());
    if (this.repository.getJob(job.jobId)) throw new HubError('JobAlreadyExists', `A job with ID '${job.jobId}' already exists.`);
    const max = this.deps.options?.maxConcurrentJobs;
    if (max !== undefined && this.activeCount() >= max) {
      throw new HubError('ThrottlingMaxActiveJobCountExceeded', `The hub allows ${max} active job(s) at once. Wait for one to finish or cancel one.`);
    }
    this.repository.putJob(job);
    if (this.leading) this.afterStored(job);
    return renderJob(job, job.statistics);
  }

  get(jobId: string): JobResponse {
    const job = this.require(jobId);
    return renderJob(job, this.statisticsOf(job));
  }

  /** `POST /jobs/v2/{id}/cancel`: a finished job is returned unchanged. */
  cancel(jobId: string): JobResponse {
    const job = this.require(jobId);
    const status = nextStatus(job.status, 'cancel');
    if (status === undefined) return renderJob(job, this.statisticsOf(job));
    const run = this.runs.get(jobId);
    if (run) {
      run.stop = 'cancelled';
      this.endPending(job, run, 'cancelled');
    }
    const ended = this.transition(job, 'cancel', { endMs: this.clock.now() }, run?.statistics);
    if (job.status === 'scheduled' && this.leading) this.armSchedule();
    return renderJob(ended, this.statisticsOf(ended));
  }

  /** `GET /jobs/v2/query`: jobs in creation order, filtered by type and status, a page at a time. */
  query(request: JobQuery = {}): JobPage {
    this.forgetOldJobs();
    const pageSize = request.pageSize ?? 100;
    if (!Number.isInteger(pageSize) || pageSize < 1) throw new HubError('ArgumentInvalid', `The page size must be a whole number from 1 to 100, not ${pageSize}.`);
    const after = request.continuation ? decodeJobCursor(request.continuation) : undefined;
    const matches = [...this.repository.allJobs()]
      .filter((job) => (request.jobType === undefined || job.type === request.jobType) && (request.jobStatus === undefined || reportedStatus(job.status) === request.jobStatus))
      .map((job) => ({ job, key: jobOrderKey(job) }))
      .filter((entry) => after === undefined || entry.key > after)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const page = matches.slice(0, Math.min(pageSize, 100));
    const out: JobPage = { items: page.map(({ job }) => renderJob(job, this.statisticsOf(job))) };
    const last = page[page.length - 1];
    if (matches.length > page.length && last) out.continuation = encodeJobCursor(last.key);
    return out;
  }

  /** Every per-device row: the `FROM devices.jobs` query source. Rows are replaced, never mutated. */
  deviceJobRecords(): Iterable<DeviceJobRecord> {
    return this.repository.allRows();
  }

  /** Resolves with the job once it is completed, failed or cancelled. */
  whenFinished(jobId: string): Promise<JobResponse> {
    const job = this.require(jobId);
    if (isFinalJobStatus(job.status)) return Promise.resolve(renderJob(job, this.statisticsOf(job)));
    return new Promise((resolve) => {
      const list = this.waiters.get(jobId) ?? [];
      list.push(resolve);
      this.waiters.set(jobId, list);
    });
  }

  /** After the store was emptied (the embedded `reset()`): stops every run and forgets every job. */
  reset(): void {
    this.halt();
    this.closed = false;
    this.repository.reload();
  }

  /** The service keeps a finished job's history (the job and its device rows) for 30 days; so does the hub. */
  private forgetOldJobs(): void {
    // One process forgets for a cluster: its leader.
    if (!this.leading) return;
    const before = this.clock.now() - JOB_HISTORY_MS;
    for (const job of [...this.repository.allJobs()]) {
      if (isFinalJobStatus(job.status) && job.endMs !== undefined && job.endMs < before) this.repository.deleteJob(job.jobId);
    }
  }

  /** Stops timers and runs; a job left running is failed at the next start (see recover). */
  stop(): void {
    this.halt();
  }

  private halt(): void {
    this.closed = true;
    this.scheduleTimer?.cancel();
    this.scheduleTimer = undefined;
    for (const run of this.runs.values()) {
      run.stop = 'closed';
      run.deadline?.cancel();
    }
    this.runs.clear();
    this.waiters.clear();
  }

  private require(jobId: string): StoredJob {
    const job = this.repository.getJob(jobId);
    if (!job) throw new HubError('JobNotFound', `The job '${jobId}' does not exist.`);
    return job;
  }

  private statisticsOf(job: StoredJob): DeviceJobStatistics {
    return this.runs.get(job.jobId)?.statistics ?? job.statistics;
  }

  private activeCount(): number {
    let n = 0;
    for (const job of this.repository.allJobs()) if (!isFinalJobStatus(job.status)) n += 1;
    return n;
  }

  /** At start: a job that was running is failed (see failInterruptedJobs); queued jobs start; scheduled ones wait. */
  private recover(): void {
    failInterruptedJobs(this.repository, this.clock.now());
    for (const job of this.repository.allJobs()) if (job.status === 'queued') this.startSoon(job.jobId);
    this.armSchedule();
  }

  private afterStored(job: StoredJob): void {
    if (job.status === 'queued') this.startSoon(job.jobId);
    else this.armSchedule();
  }

  /** Starts on the next turn of the event loop, so the PUT answers `queued`. */
  private startSoon(jobId: string): void {
    setImmediate(() => {
      if (this.closed) return;
      void this.start(jobId).catch((error: unknown) => this.logger.error({ jobId, err: error }, 'job run failed'));
    });
  }

  /** One timer for the earliest scheduled job; when it fires every due job is queued. */
  private armSchedule(): void {
    this.scheduleTimer?.cancel();
    this.scheduleTimer = undefined;
    if (this.closed) return;
    let earliest: number | undefined;
    for (const job of this.repository.allJobs()) {
      if (job.status === 'scheduled' && (earliest === undefined || job.startMs < earliest)) earliest = job.startMs;
    }
    if (earliest === undefined) return;
    this.scheduleTimer = this.clock.at(earliest, () => this.onTimer('queue due jobs', () => this.queueDueJobs(), true));
  }

  /**
   * A timer's work may fail (the store refuses writes while the disk is full): log it instead of
   * crashing the hub, and try the schedule again a second later.
   */
  private onTimer(what: string, work: () => void, retry = false): void {
    try {
      work();
    } catch (error) {
      this.logger.error({ err: error }, `${what} failed`);
      if (retry && !this.closed) this.scheduleTimer = this.clock.after(TIMER_RETRY_MS, () => this.onTimer(what, work, retry));
    }
  }

  private queueDueJobs(): void {
    const now = this.clock.now();
    for (const job of [...this.repository.allJobs()]) {
      if (job.status !== 'scheduled' || job.startMs > now) continue;
      this.transition(job, 'due', {});
      this.startSoon(job.jobId);
    }
    this.armSchedule();
  }

  private async start(jobId: string): Promise<void> {
    if (this.repository.getJob(jobId)?.status !== 'queued') return;
    // Twins changed since the last query (thousands after a large job) reach the query engine in
    // chunks, so matching does not hold the event loop; the job may be cancelled meanwhile.
    await this.deps.targets.catchUp();
    const job = this.repository.getJob(jobId);
    if (this.closed || !job || job.status !== 'queued') return;
    const now = this.clock.now();
    const deviceIds = this.deps.targets
      .matchDevices(job.queryCondition)
      .map((twin) => twin.deviceId)
      .sort();
    const statistics: DeviceJobStatistics = { ...emptyStatistics(), deviceCount: deviceIds.length, pendingCount: deviceIds.length };
    const run: Run = { statistics };
    this.runs.set(jobId, run);
    const running = this.transition(job, 'start', { runStartedMs: now }, statistics);
    const deadlineMs = now + running.maxExecutionTimeInSeconds * 1000;
    run.deadline = this.clock.at(deadlineMs, () => this.onTimer('expire job', () => this.expire(jobId)));

    const stamp = formatTimestamp(now);
    const endStamp = formatTimestamp(deadlineMs);
    // Rows as the service shows them: startTimeUtc/endTimeUtc are the job's window, the other two the row's own times.
    const row = (deviceId: string): DeviceJobRecord => ({
      deviceId,
      jobId,
      jobType: running.type,
      status: 'pending',
      startTimeUtc: stamp,
      endTimeUtc: endStamp,
      createdDateTimeUtc: stamp,
      lastUpdatedDateTimeUtc: stamp,
      outcome: null,
    });
    const chunk = this.deps.options?.chunkSize ?? 200;
    let created = 0;
    for (; created < deviceIds.length && !run.stop; created++) {
      this.repository.putRow(row(deviceIds[created] as string), true);
      if ((created + 1) % chunk === 0) await yieldToEventLoop();
    }
    if (created < deviceIds.length) {
      // Stopped before every row existed: the devices without a row were never started.
      const missing = deviceIds.length - created;
      run.statistics = { ...run.statistics, pendingCount: run.statistics.pendingCount - missing, failedCount: run.statistics.failedCount + (run.stop === 'expired' ? missing : 0) };
      if (run.stop !== 'closed') {
        const current = this.repository.getJob(jobId);
        if (current) this.repository.putJob({ ...current, statistics: { ...run.statistics } });
      }
    }

    const operation = deviceOperation(running, this.deps.twins, this.deps.methods);
    await runDevices(
      deviceIds,
      operation,
      {
        stopped: () => run.stop !== undefined || this.closed || !(this.deps.options?.stillLeading?.() ?? true),
        // A twin write starts and ends in the same turn: its row goes from pending to its result directly.
        started: running.type === 'scheduleDeviceMethod' ? (deviceId) => this.updateRow(run, jobId, deviceId, 'running', {}, false) : () => {},
        finished: (deviceId, result) => this.finishRow(run, jobId, deviceId, result),
      },
      {
        parallelism: running.type === 'scheduleDeviceMethod' ? (this.deps.options?.methodParallelism ?? 100) : 1,
        chunkSize: chunk,
        limiter: this.limiter,
      },
    );
    run.deadline?.cancel();
    if (run.stop === 'closed' || this.closed) return;
    this.runs.delete(jobId);
    const current = this.repository.getJob(jobId);
    if (!current) return;
    if (current.status === 'running') this.transition(current, 'finish', { endMs: this.clock.now() }, run.statistics);
    // Cancelled or expired jobs ended already; store the final counts of the calls that were in flight.
    else this.repository.putJob({ ...current, statistics: { ...run.statistics } });
  }

  private finishRow(run: Run, jobId: string, deviceId: string, result: DeviceResult): void {
    if (run.stop === 'closed' || this.closed) return;
    const row = this.repository.row(jobId, deviceId);
    // A row already failed by the deadline keeps that verdict; a late answer does not change it.
    if (!row || isDeviceTerminal(row.status)) return;
    if (result.ok) this.updateRow(run, jobId, deviceId, 'completed', { outcome: result.outcome }, true);
    else this.updateRow(run, jobId, deviceId, 'failed', { error: result.error }, true);
  }

  private updateRow(run: Run, jobId: string, deviceId: string, status: DeviceJobStatus, extra: Partial<DeviceJobRecord>, persist: boolean): void {
    const row = this.repository.row(jobId, deviceId);
    if (!row) return;
    this.repository.putRow({ ...row, ...extra, status, lastUpdatedDateTimeUtc: formatTimestamp(this.clock.now()) }, persist);
    run.statistics = moveDevice(run.statistics, row.status, status);
  }

  /** Ends every row that has not finished: `cancelled` ones were never started; `failed` ones ran out of time. */
  private endPending(job: StoredJob, run: Run, as: 'cancelled' | 'failed'): void {
    const error = { code: 'JobExpired', description: `The job reached its maxExecutionTimeInSeconds (${job.maxExecutionTimeInSeconds} s) before this device finished.` };
    for (const row of [...this.repository.rowsOf(job.jobId).values()]) {
      if (isDeviceTerminal(row.status)) continue;
      // Cancelling leaves calls already in flight to finish; running out of time ends them too.
      if (as === 'cancelled' && row.status === 'running') continue;
      this.updateRow(run, job.jobId, row.deviceId, as, as === 'failed' ? { error } : {}, true);
    }
  }

  /** maxExecutionTimeInSeconds elapsed: what is left fails with the reason. */
  private expire(jobId: string): void {
    const run = this.runs.get(jobId);
    const job = this.repository.getJob(jobId);
    if (!run || !job || job.status !== 'running' || this.closed) return;
    run.stop = 'expired';
    const unfinished = run.statistics.pendingCount + run.statistics.runningCount;
    this.endPending(job, run, 'failed');
    this.transition(
      job,
      'fail',
      { endMs: this.clock.now(), failureReason: `The job did not finish within maxExecutionTimeInSeconds (${job.maxExecutionTimeInSeconds} s); ${unfinished} device(s) were not processed.` },
      run.statistics,
    );
  }

  /** Applies a job event, stores the job with the given statistics and wakes `whenFinished` callers. */
  private transition(job: StoredJob, event: JobEvent, changes: Partial<StoredJob>, statistics?: DeviceJobStatistics): StoredJob {
    const status = nextStatus(job.status, event) as HubJobStatus;
    const next: StoredJob = { ...job, ...changes, status, statistics: { ...(statistics ?? job.statistics) } };
    this.repository.putJob(next);
    if (isFinalJobStatus(status)) this.wake(next);
    return next;
  }

  /** Resolves the `whenFinished` callers of a job that ended. */
  private wake(job: StoredJob): void {
    const waiting = this.waiters.get(job.jobId);
    this.waiters.delete(job.jobId);
    const response = renderJob(job, job.statistics);
    for (const resolve of waiting ?? []) resolve(response);
  }
}
