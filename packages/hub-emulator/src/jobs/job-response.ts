import { formatTimestamp, type DeviceJobStatistics, type JobResponse } from '@hubemu/shared';
import type { StoredJob } from './job-schemas.js';
import { reportedStatus } from './job-state.js';

/** The JobResponse the service answers with (swagger JobResponse; times with seven fractional digits). */
export function renderJob(job: StoredJob, statistics: DeviceJobStatistics): JobResponse {
  // Fields in the swagger's order; absent ones are left out.
  return {
    jobId: job.jobId,
    queryCondition: job.queryCondition,
    createdTime: formatTimestamp(job.createdMs),
    startTime: formatTimestamp(job.startMs),
    ...(job.endMs === undefined ? {} : { endTime: formatTimestamp(job.endMs) }),
    maxExecutionTimeInSeconds: job.maxExecutionTimeInSeconds,
    type: job.type,
    ...(job.cloudToDeviceMethod ? { cloudToDeviceMethod: job.cloudToDeviceMethod } : {}),
    ...(job.updateTwin ? { updateTwin: job.updateTwin } : {}),
    status: reportedStatus(job.status),
    ...(job.failureReason === undefined ? {} : { failureReason: job.failureReason }),
    ...(job.statusMessage === undefined ? {} : { statusMessage: job.statusMessage }),
    deviceJobStatistics: { ...statistics },
  };
}
