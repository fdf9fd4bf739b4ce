import type { DeviceJobRecord } from '@hubemu/shared';
import type { Collection } from '../store/collection.js';
import type { StoredJob } from './job-schemas.js';

function rowKey(jobId: string, deviceId: string): string {
  return `${jobId}/${deviceId}`;
}

/**
 * Jobs and their per-device rows behind the store's `jobs` and `deviceJobs` collections. Rows are
 * also indexed by job in memory (loaded at start), so a job's rows and the `devices.jobs` query
 * source never scan the whole collection. A row is stored when it is created (pending) and when it
 * ends; `running` lives in memory only (a restart fails whatever was not finished, see JobService).
 */
export class JobRepository {
  private readonly rows = new Map<string, Map<string, DeviceJobRecord>>();

  constructor(
    private readonly jobs: Collection<StoredJob>,
    private readonly deviceJobs: Collection<DeviceJobRecord>,
  ) {
    this.reload();
  }

  /** Rebuilds the in-memory index from the store (at start, and after the store was emptied). */
  reload(): void {
    this.rows.clear();
    for (const row of this.deviceJobs.values()) this.index(row);
  }

  getJob(jobId: string): StoredJob | undefined {
    return this.jobs.get(jobId);
  }

  putJob(job: StoredJob): void {
    this.jobs.put(job.jobId, job);
  }

  allJobs(): IterableIterator<StoredJob> {
    return this.jobs.values();
  }

  rowsOf(jobId: string): ReadonlyMap<string, DeviceJobRecord> {
    return this.rows.get(jobId) ?? new Map();
  }

  row(jobId: string, deviceId: string): DeviceJobRecord | undefined {
    return this.rows.get(jobId)?.get(deviceId);
  }

  /** Replaces a row (rows are never mutated: queries may be holding the previous object). */
  putRow(row: DeviceJobRecord, persist: boolean): void {
    this.index(row);
    if (persist) this.deviceJobs.put(rowKey(row.jobId, row.deviceId), row);
  }

  /** Forgets a job and its rows. */
  deleteJob(jobId: string): void {
    for (const deviceId of this.rowsOf(jobId).keys()) this.deviceJobs.delete(rowKey(jobId, deviceId));
    this.rows.delete(jobId);
    this.jobs.delete(jobId);
  }

  /** Every row of every job: the `FROM devices.jobs` source. */
  *allRows(): Iterable<DeviceJobRecord> {
    for (const rows of this.rows.values()) yield* rows.values();
  }

  private index(row: DeviceJobRecord): void {
    let rows = this.rows.get(row.jobId);
    if (!rows) this.rows.set(row.jobId, (rows = new Map()));
    rows.set(row.deviceId, row);
  }
}
