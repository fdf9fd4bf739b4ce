import { formatTimestamp, type DeviceJobStatus } from '@hubemu/shared';
import type { JobRepository } from './job-repository.js';
import { isDeviceTerminal, tallyStatistics } from './job-state.js';

export const INTERRUPTED = 'The hub stopped while the job was running. The devices it had not finished are marked failed.';

/**
 * At start: a job still `running` in the store was interrupted by a stop. It is not resumed (a method
 * call may already have reached a device, and calling it again could repeat a reboot or a flash): the
 * job is failed with a reason, and its unfinished rows fail with `JobInterrupted`.
 */
export function failInterruptedJobs(repository: JobRepository, nowMs: number): void {
  for (const job of [...repository.allJobs()]) {
    if (job.status !== 'running') continue;
    const statuses: DeviceJobStatus[] = [];
    for (const row of [...repository.rowsOf(job.jobId).values()]) {
      if (isDeviceTerminal(row.status)) {
        statuses.push(row.status);
        continue;
      }
      repository.putRow({ ...row, status: 'failed', lastUpdatedDateTimeUtc: formatTimestamp(nowMs), error: { code: 'JobInterrupted', description: INTERRUPTED } }, true);
      statuses.push('failed');
    }
    const statistics = tallyStatistics(statuses);
    // Devices whose rows were never written (the stop came while they were being created) count as failed.
    statistics.failedCount += Math.max(0, job.statistics.deviceCount - statistics.deviceCount);
    statistics.deviceCount = Math.max(job.statistics.deviceCount, statistics.deviceCount);
    repository.putJob({ ...job, status: 'failed', endMs: nowMs, failureReason: INTERRUPTED, statistics });
  }
}
