import { parseConnectionString } from '@hubemu/shared';
import type { Behaviour } from '../behaviours/behaviour.js';
import type { DeviceClientConfig } from '../client/client-options.js';
import { DeviceClientError } from '../errors.js';
import { modelBehaviours } from './models.js';

/** One group of identical virtual devices. */
export interface FleetGroup {
  /** A label for the report, and the built-in behaviour set when `behaviours` is not given (see DEVICE_MODELS). */
  model: string;
  /** How many devices, with ids `${idPrefix}${index}` (index zero-padded to 5 digits). */
  count?: number;
  /** Default `${model}-`. */
  idPrefix?: string;
  /** First index (default 0). */
  startIndex?: number;
  /** Explicit device ids (instead of count). */
  deviceIds?: readonly string[];
  /** Explicit device connection strings (instead of count or ids): each carries its id and key. */
  connectionStrings?: readonly string[];
  behaviours?: readonly Behaviour[];
  /** A Plug and Play model id sent in the username (`&model-id=`). */
  modelId?: string;
}

/** How devices prove who they are. */
export interface FleetCredentials {
  /**
   * A hub connection string. With `SharedAccessKeyName` + `SharedAccessKey` of a policy that has
   * DeviceConnect (e.g. the well-known `device` or `iothubowner`), every device signs its own token with
   * the policy key (`skn` set), so no per-device keys are needed. Otherwise only its HostName is used.
   */
  connectionString?: string;
  hostName?: string;
  /** The symmetric key of a device (looked up when a group gives ids, not connection strings). */
  deviceKey?: (deviceId: string) => string | undefined;
}

/** One planned device: its model, behaviours and how to connect it. */
export interface PlannedDevice {
  model: string;
  deviceId: string;
  behaviours: readonly Behaviour[];
  credentials: Pick<DeviceClientConfig, 'connectionString' | 'hostName' | 'deviceId' | 'sharedAccessKey' | 'sharedAccessKeyName' | 'modelId'>;
}

/** The device ids a group stands for, so the caller can create exactly those devices first. */
export function fleetDeviceIds(group: FleetGroup): string[] {
  if (group.connectionStrings) {
    return group.connectionStrings.map((cs) => parseConnectionString(cs).DeviceId ?? '');
  }
  if (group.deviceIds) return [...group.deviceIds];
  const prefix = group.idPrefix ?? `${group.model}-`;
  const start = group.startIndex ?? 0;
  return Array.from({ length: group.count ?? 0 }, (_, i) => `${prefix}${String(start + i).padStart(5, '0')}`);
}

/** Expands groups into devices and works out each one's credentials; throws InvalidArgument when one has none. */
export function planFleet(groups: readonly FleetGroup[], credentials: FleetCredentials): PlannedDevice[] {
  const hub = credentials.connectionString ? parseConnectionString(credentials.connectionString) : {};
  const hostName = credentials.hostName ?? hub.HostName;
  const policy = hub.SharedAccessKeyName && hub.SharedAccessKey ? { name: hub.SharedAccessKeyName, key: hub.SharedAccessKey } : undefined;
  const planned: PlannedDevice[] = [];
  for (const group of groups) {
    const behaviours = group.behaviours ?? modelBehaviours(group.model);
    const modelId = group.modelId === undefined ? {} : { modelId: group.modelId };
    if (group.connectionStrings) {
      for (const connectionString of group.connectionStrings) {
        const deviceId = parseConnectionString(connectionString).DeviceId ?? '';
        planned.push({ model: group.model, deviceId, behaviours, credentials: { connectionString, ...modelId } });
      }
      continue;
    }
    for (const deviceId of fleetDeviceIds(group)) {
      if (!hostName) throw new DeviceClientError('InvalidArgument', 'A fleet needs a hub host name (connectionString or hostName).');
      const key = credentials.deviceKey?.(deviceId);
      if (key) {
        planned.push({ model: group.model, deviceId, behaviours, credentials: { hostName, deviceId, sharedAccessKey: key, ...modelId } });
      } else if (policy) {
        planned.push({
          model: group.model,
          deviceId,
          behaviours,
          credentials: { hostName, deviceId, sharedAccessKey: policy.key, sharedAccessKeyName: policy.name, ...modelId },
        });
      } else {
        throw new DeviceClientError('InvalidArgument', `No credentials for device ${deviceId}: give deviceKey, a policy connection string or connectionStrings.`, { deviceId });
      }
    }
  }
  return planned;
}
