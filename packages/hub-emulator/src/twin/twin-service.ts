import {
  applyTwinWrite,
  HubError,
  identityKey,
  isJsonObject,
  twinEtag,
  type Clock,
  type DeviceTwinView,
  type Twin,
  type TwinLimitOptions,
  type TwinPatch,
  type TwinWrite,
  serviceTwinWrite,
} from '@hubemu/shared';
import type { HubEvents, WriteSource } from '../events.js';
import { renderDeviceTwin, type DeviceEntry } from '../registry/device-entry.js';
import type { DeviceTable } from '../registry/device-table.js';

export interface TwinWriteOptions {
  ifMatch?: string;
  source: WriteSource;
}

/** Twin reads and writes for the service, the device plane, jobs and configurations. */
export class TwinService {
  constructor(
    private readonly table: DeviceTable,
    private readonly clock: Clock,
    private readonly events: HubEvents,
    private readonly limits: TwinLimitOptions,
  ) {}

  getTwin(deviceId: string, moduleId?: string): Twin {
    this.require(deviceId, moduleId);
    return this.table.twin(identityKey(deviceId, moduleId)) as Twin;
  }

  /**
   * `PATCH` (merge) or `PUT` (replace) from the service side: tags and desired only (see serviceTwinWrite).
   * The body was parsed at its edge (parseServiceTwinBody); the twin rules check its content here.
   */
  updateTwin(deviceId: string, moduleId: string | undefined, body: TwinPatch, mode: 'patch' | 'replace', options: TwinWriteOptions): Twin {
    this.write(deviceId, moduleId, serviceTwinWrite(body, mode), options);
    return this.table.twin(identityKey(deviceId, moduleId)) as Twin;
  }

  /** The device's own view (`$iothub/twin/GET`). */
  deviceTwin(deviceId: string, moduleId?: string): DeviceTwinView {
    return renderDeviceTwin(this.require(deviceId, moduleId));
  }

  /**
   * A reported-properties patch from the device. With `expectedVersion` (the `$version` a client sent),
   * a stale version is refused with PreconditionFailed. Returns the new reported `$version`.
   */
  reportFromDevice(deviceId: string, moduleId: string | undefined, patch: unknown, expectedVersion?: number): number {
    const entry = this.require(deviceId, moduleId);
    if (expectedVersion !== undefined && expectedVersion !== entry.twin.reported.version) {
      throw new HubError('PreconditionFailed', `Precondition failed: the reported $version is ${entry.twin.reported.version}, not ${expectedVersion}.`);
    }
    if (!isJsonObject(patch)) throw new HubError('ArgumentInvalid', 'The reported-properties patch must be a JSON object.');
    const next = this.write(deviceId, moduleId, { reported: { patch } }, { source: 'device' });
    return next.twin.reported.version;
  }

  /** Applies a write atomically, stores it (conditionally on the twin etag) and emits `twinUpdated`. */
  write(deviceId: string, moduleId: string | undefined, write: TwinWrite, options: TwinWriteOptions): DeviceEntry {
    const entry = this.require(deviceId, moduleId);
    const result = applyTwinWrite(entry.twin, write, { ...this.limits, nowMs: this.clock.now() });
    const next: DeviceEntry = { ...entry, twin: result.state };
    const key = identityKey(deviceId, moduleId);
    const condition = options.ifMatch === undefined ? undefined : { ifMatch: options.ifMatch, etagOf: (e: DeviceEntry) => twinEtag(e.twin.etag) };
    this.table.put(key, next, condition);
    this.events.emit('twinUpdated', {
      deviceId,
      ...(moduleId === undefined ? {} : { moduleId }),
      source: options.source,
      ...(result.desiredNotification === undefined ? {} : { desired: result.desiredNotification }),
      desiredVersion: next.twin.desired.version,
      ...(write.reported ? { reported: write.reported.patch } : {}),
      reportedVersion: next.twin.reported.version,
      tagsChanged: write.tags !== undefined,
      ...(write.tags === undefined ? {} : { tags: 'clear' in write.tags ? null : 'patch' in write.tags ? write.tags.patch : write.tags.replace }),
      ...((write.tags && 'replace' in write.tags) || (write.desired && 'replace' in write.desired) ? { replaced: true } : {}),
    });
    return next;
  }

  /** Sets `configurations.[[id]].status` entries of a twin (automatic device management). */
  setConfigurations(deviceId: string, moduleId: string | undefined, configurations: DeviceEntry['configurations']): void {
    const entry = this.require(deviceId, moduleId);
    const next: DeviceEntry = { ...entry };
    if (configurations && Object.keys(configurations).length > 0) next.configurations = configurations;
    else delete next.configurations;
    this.table.put(identityKey(deviceId, moduleId), next);
  }

  private require(deviceId: string, moduleId?: string): DeviceEntry {
    const entry = this.table.get(identityKey(deviceId, moduleId));
    if (!entry) {
      if (moduleId === undefined) throw new HubError('DeviceNotFound', deviceId);
      if (!this.table.get(deviceId)) throw new HubError('DeviceNotFound', deviceId);
      throw new HubError('ModuleNotFound', identityKey(deviceId, moduleId));
    }
    return entry;
  }
}
