import { serviceTwinWrite, type MethodRequest, type TwinWrite } from '@hubemu/shared';
import { resultOfError, type DeviceOperation, type DeviceResult } from './job-runner.js';
import type { StoredJob } from './job-schemas.js';

/** The twin service's write, as jobs use it. */
export interface JobTwinWriter {
  write(deviceId: string, moduleId: undefined, write: TwinWrite, options: { source: 'job'; ifMatch?: string }): unknown;
}

/** The method service's invoke, as jobs use it. */
export interface JobMethodInvoker {
  invoke(deviceId: string, moduleId: undefined, request: MethodRequest): Promise<{ status: number; payload: unknown }>;
}

/**
 * What a job does on one device: its direct method (the row's outcome is the device's answer), or its
 * twin patch through the twin service with source `job` (so connected devices get the desired patch),
 * with the patch's etag as If-Match unless it is `*`.
 */
export function deviceOperation(job: StoredJob, twins: JobTwinWriter, methods: JobMethodInvoker): DeviceOperation {
  if (job.type === 'scheduleDeviceMethod') {
    const method = job.cloudToDeviceMethod as NonNullable<StoredJob['cloudToDeviceMethod']>;
    return async (deviceId) => {
      const answer = await methods.invoke(deviceId, undefined, method);
      return { ok: true, outcome: { deviceMethodResponse: { status: answer.status, payload: answer.payload } } };
    };
  }
  const patch = job.updateTwin as NonNullable<StoredJob['updateTwin']>;
  const write: TwinWrite = serviceTwinWrite(patch, 'patch');
  const etag = patch.etag ?? '*';
  const options = etag === '*' ? { source: 'job' as const } : { source: 'job' as const, ifMatch: etag };
  const done: DeviceResult = { ok: true, outcome: { deviceMethodResponse: null } };
  return (deviceId): DeviceResult | Promise<DeviceResult> => {
    try {
      // On a store shared by several processes the write is a unit that may commit later (docs/scale-out.md).
      const written = twins.write(deviceId, undefined, write, options);
      return written instanceof Promise ? written.then(() => done, resultOfError) : done;
    } catch (error) {
      return resultOfError(error);
    }
  };
}
