/** One row of `FROM devices.jobs`: what a job did on one device. */
export interface DeviceJobRecord {
  deviceId: string;
  jobId: string;
  jobType: 'scheduleUpdateTwin' | 'scheduleDeviceMethod';
  status: DeviceJobStatus;
  startTimeUtc: string;
  endTimeUtc: string;
  createdDateTimeUtc: string;
  lastUpdatedDateTimeUtc: string;
  outcome: { deviceMethodResponse: { status: number; payload: unknown } } | null;
  error?: { code: string; description: string };
}

export type DeviceJobStatus = 'pending' | 'scheduled' | 'running' | 'completed' | 'failed' | 'cancelled';
