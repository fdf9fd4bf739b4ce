import {
  identityEtag,
  NEVER,
  renderDeviceSection,
  renderServiceSection,
  twinEtag,
  type AuthenticationType,
  type ConfigurationTwinStatus,
  type DeviceIdentity,
  type DeviceStatus,
  type DeviceTwinView,
  type Twin,
  type TwinState,
} from '@hubemu/shared';

/** What the hub stores for one device or module identity: the identity and its twin. */
export interface DeviceEntry {
  deviceId: string;
  moduleId?: string;
  managedBy?: string;
  generationId: string;
  /** Counter behind the identity etag (`etag` of the Device JSON, `deviceEtag` of the twin). */
  identityVersion: number;
  status: DeviceStatus;
  statusReason: string | null;
  statusUpdatedTime: string;
  auth: {
    type: AuthenticationType;
    primaryKey: string | null;
    secondaryKey: string | null;
    primaryThumbprint: string | null;
    secondaryThumbprint: string | null;
  };
  capabilities: { iotEdge: boolean };
  deviceScope?: string;
  parentScopes?: string[];
  modelId: string;
  /** Stored as 0 and never rewritten: the rendered count is the C2D queue's live length (`DeviceTable.countMessages`). */
  cloudToDeviceMessageCount: number;
  twin: TwinState;
  /** Automatic device configurations that target this twin (`configurations.[[id]].status`). */
  configurations?: Record<string, { status: ConfigurationTwinStatus }>;
}

/** Connection facts that change with traffic; kept in memory, not in the store. */
export interface Presence {
  connectionState: 'Connected' | 'Disconnected';
  connectionStateUpdatedTime: string;
  lastActivityTime: string;
  /** On a hub of several processes: the process that holds (or last held) the connection (docs/scale-out.md). */
  owner?: string;
  /** On a hub of several processes: what a CleanSession=0 connection subscribed to, restored when it reconnects to any process. */
  filters?: string[];
}

export const OFFLINE: Presence = { connectionState: 'Disconnected', connectionStateUpdatedTime: NEVER, lastActivityTime: NEVER };

/** `messageCount`: the identity's C2D messages pending (Enqueued + locked), as the C2D service counts them. */
export function renderIdentity(entry: DeviceEntry, presence: Presence, messageCount = 0): DeviceIdentity {
  const identity: DeviceIdentity = {
    deviceId: entry.deviceId,
    generationId: entry.generationId,
    etag: identityEtag(entry.identityVersion),
    connectionState: presence.connectionState,
    connectionStateUpdatedTime: presence.connectionStateUpdatedTime,
    lastActivityTime: presence.lastActivityTime,
    cloudToDeviceMessageCount: messageCount,
    authentication: {
      type: entry.auth.type,
      symmetricKey: { primaryKey: entry.auth.primaryKey, secondaryKey: entry.auth.secondaryKey },
      x509Thumbprint: { primaryThumbprint: entry.auth.primaryThumbprint, secondaryThumbprint: entry.auth.secondaryThumbprint },
    },
  };
  if (entry.moduleId === undefined) {
    identity.status = entry.status;
    identity.statusReason = entry.statusReason;
    identity.statusUpdatedTime = entry.statusUpdatedTime;
    identity.capabilities = entry.capabilities;
    if (entry.deviceScope !== undefined) identity.deviceScope = entry.deviceScope;
    if (entry.parentScopes !== undefined) identity.parentScopes = entry.parentScopes;
  } else {
    identity.moduleId = entry.moduleId;
    if (entry.managedBy !== undefined) identity.managedBy = entry.managedBy;
  }
  return identity;
}

/** The service-side twin (GET /twins, queries). */
export function renderTwin(entry: DeviceEntry, presence: Presence, messageCount = 0): Twin {
  const twin: Twin = {
    deviceId: entry.deviceId,
    ...(entry.moduleId === undefined ? {} : { moduleId: entry.moduleId }),
    etag: twinEtag(entry.twin.etag),
    deviceEtag: identityEtag(entry.identityVersion),
    status: entry.status,
    statusUpdateTime: entry.statusUpdatedTime,
    connectionState: presence.connectionState,
    lastActivityTime: presence.lastActivityTime,
    cloudToDeviceMessageCount: messageCount,
    authenticationType: entry.auth.type,
    x509Thumbprint: { primaryThumbprint: entry.auth.primaryThumbprint, secondaryThumbprint: entry.auth.secondaryThumbprint },
    modelId: entry.modelId,
    version: entry.twin.version,
    tags: entry.twin.tags,
    properties: { desired: renderServiceSection(entry.twin.desired), reported: renderServiceSection(entry.twin.reported) },
  };
  if (entry.statusReason) twin.statusReason = entry.statusReason;
  if (entry.moduleId === undefined) {
    twin.capabilities = entry.capabilities;
    if (entry.deviceScope !== undefined) twin.deviceScope = entry.deviceScope;
    if (entry.parentScopes !== undefined) twin.parentScopes = entry.parentScopes;
  }
  if (entry.configurations && Object.keys(entry.configurations).length > 0) twin.configurations = entry.configurations;
  return twin;
}

/** The device-side twin (`$iothub/twin/GET`): properties only, no `$metadata`. */
export function renderDeviceTwin(entry: DeviceEntry): DeviceTwinView {
  return { desired: renderDeviceSection(entry.twin.desired), reported: renderDeviceSection(entry.twin.reported) };
}
