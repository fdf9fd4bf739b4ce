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
  /** The device's answer for a method job; `{ deviceMethodResponse: null }` for a twin update, as the service shows it; null until done. */
  outcome: { deviceMethodResponse: { status: number; payload: unknown } | null } | null;
  error?: { code: string; description: string };
}

export type DeviceJobStatus = 'pending' | 'scheduled' | 'running' | 'completed' | 'failed' | 'cancelled';
