import { parseIdentityKey, type DeviceJobRecord, type Twin } from '@hubemu/shared';

/**
 * What the query engine reads. The twin service owns the data; the engine keeps a sorted snapshot
 * and indexes that the service keeps current by calling `QueryEngine.onTwinChanged` after writes.
 */
export interface TwinSource {
  /** Every twin, in any order. */
  list(): Iterable<Twin>;
  /** By key: the deviceId for devices, `${deviceId}/${moduleId}` for modules. */
  get(key: string): Twin | undefined;
}

export interface QuerySources {
  devices: TwinSource;
  modules: TwinSource;
  deviceJobs: { list(): Iterable<DeviceJobRecord> };
}

export type TwinCollectionName = 'devices' | 'modules';

/**
 * Internal keys order documents the way pages walk them. Module keys are `deviceId \0 moduleId`
 * (ids never hold NUL), so all modules of a device are adjacent and order by (deviceId, moduleId).
 */
export function internalTwinKey(collection: TwinCollectionName, twin: Twin): string {
  return collection === 'devices' ? twin.deviceId : `${twin.deviceId}\u0000${twin.moduleId ?? ''}`;
}

/** The engine's key for a source key (`deviceId` or `deviceId/moduleId`). */
export function internalKeyOf(collection: TwinCollectionName, sourceKey: string): string {
  if (collection === 'devices') return sourceKey;
  const { deviceId, moduleId } = parseIdentityKey(sourceKey);
  return moduleId === undefined ? deviceId : `${deviceId}\u0000${moduleId}`;
}

/** Job rows order by device, then job. */
export function jobKey(record: DeviceJobRecord): string {
  return `${record.deviceId}\u0000${record.jobId}`;
}
