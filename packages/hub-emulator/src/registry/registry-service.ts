import { randomBytes, randomInt } from 'node:crypto';
import {
  formatTimestamp,
  HubError,
  IdentityIdSchema,
  identityEtag,
  identityKey,
  LIMITS,
  newTwinState,
  NEVER,
  type Clock,
  type DeviceIdentity,
  type DeviceIdentityInput,
  type ModuleIdentityInput,
  type Twin,
} from '@hubemu/shared';
import type { HubEvents } from '../events.js';
import type { DeviceEntry } from './device-entry.js';
import type { DeviceTable } from './device-table.js';
import { resolveScopes } from './device-scope.js';

export interface DeviceStatistics {
  totalDeviceCount: number;
  enabledDeviceCount: number;
  disabledDeviceCount: number;
}

/** A 256-bit key, base64, as the real service generates. */
export function generateKey(): string {
  return randomBytes(32).toString('base64');
}

function generationId(): string {
  return `63${String(randomInt(1e9)).padStart(9, '0')}${String(randomInt(1e7)).padStart(7, '0')}`;
}

export function validateIdentityId(kind: 'deviceId' | 'moduleId', id: unknown): string {
  const parsed = IdentityIdSchema.safeParse(id);
  if (!parsed.success) {
    throw new HubError('ArgumentInvalid', `The ${kind} '${String(id)}' is invalid: ${parsed.error.issues[0]?.message ?? 'bad id'}`);
  }
  return parsed.data;
}

type AuthInput = DeviceIdentityInput['authentication'];

/** Resolves the authentication section: empty or missing SAS keys are generated. */
function resolveAuth(input: AuthInput, previous?: DeviceEntry['auth']): DeviceEntry['auth'] {
  const type = input?.type ?? (input?.x509Thumbprint?.primaryThumbprint ? 'selfSigned' : 'sas');
  if (type === 'sas') {
    const primaryKey = input?.symmetricKey?.primaryKey || previous?.primaryKey || generateKey();
    const secondaryKey = input?.symmetricKey?.secondaryKey || previous?.secondaryKey || generateKey();
    for (const key of [primaryKey, secondaryKey]) {
      const bytes = Buffer.from(key, 'base64');
      if (bytes.length < 16 || bytes.length > 64 || bytes.toString('base64').replace(/=+$/, '') !== key.replace(/=+$/, '')) {
        throw new HubError('ArgumentInvalid', 'A symmetric key must be base64 of 16 to 64 bytes.');
      }
    }
    return { type, primaryKey, secondaryKey, primaryThumbprint: null, secondaryThumbprint: null };
  }
  if (type === 'selfSigned') {
    const primaryThumbprint = input?.x509Thumbprint?.primaryThumbprint ?? null;
    if (!primaryThumbprint) throw new HubError('ArgumentInvalid', 'A selfSigned identity needs x509Thumbprint.primaryThumbprint.');
    return { type, primaryKey: null, secondaryKey: null, primaryThumbprint, secondaryThumbprint: input?.x509Thumbprint?.secondaryThumbprint ?? null };
  }
  return { type, primaryKey: null, secondaryKey: null, primaryThumbprint: null, secondaryThumbprint: null };
}

/**
 * Device and module identities: create, read, update, delete, with etags and generated keys. Bodies come
 * parsed (`parseDeviceIdentityBody`, `parseModuleIdentityBody`); the rules on them (ids, keys, scopes) live here.
 */
export class RegistryService {
  constructor(
    private readonly table: DeviceTable,
    private readonly clock: Clock,
    private readonly events: HubEvents,
    /** Called when an identity is disabled or deleted, to drop its connection. */
    private readonly disconnect: (deviceId: string, moduleId?: string) => void,
  ) {}

  /** `PUT /devices/{id}`: create without If-Match (409 when it exists), update with it. */
  putDevice(deviceId: string, input: DeviceIdentityInput, ifMatch?: string): DeviceIdentity {
    return ifMatch === undefined ? this.createDevice(deviceId, input) : this.updateDevice(deviceId, input, ifMatch);
  }

  createDevice(deviceId: string, input: DeviceIdentityInput): DeviceIdentity {
    validateIdentityId('deviceId', deviceId);
    if (this.table.get(deviceId)) throw new HubError('DeviceAlreadyExists', `A device with ID '${deviceId}' is already registered.`);
    const now = this.clock.now();
    const generation = generationId();
    const iotEdge = input.capabilities?.iotEdge ?? false;
    const scopes = resolveScopes({ deviceId, generationId: generation, iotEdge }, input, undefined, (key) => this.table.get(key));
    const entry: DeviceEntry = {
      deviceId,
      generationId: generation,
      identityVersion: 1,
      status: input.status ?? 'enabled',
      statusReason: input.statusReason ?? null,
      statusUpdatedTime: NEVER,
      auth: resolveAuth(input.authentication),
      capabilities: { iotEdge },
      modelId: '',
      cloudToDeviceMessageCount: 0,
      twin: newTwinState(now),
      ...scopes,
    };
    this.table.put(deviceId, entry);
    this.events.emit('identityCreated', { deviceId });
    return this.table.identity(deviceId) as DeviceIdentity;
  }

  updateDevice(deviceId: string, input: DeviceIdentityInput, ifMatch: string): DeviceIdentity {
    const current = this.requireDevice(deviceId);
    const statusChanged = input.status !== undefined && input.status !== current.status;
    const iotEdge = input.capabilities?.iotEdge ?? current.capabilities.iotEdge;
    const scopes = resolveScopes({ deviceId, generationId: current.generationId, iotEdge }, input, current, (key) => this.table.get(key));
    const { deviceScope: _scope, parentScopes: _parents, ...unscoped } = current;
    const next: DeviceEntry = {
      ...unscoped,
      ...scopes,
      identityVersion: current.identityVersion + 1,
      status: input.status ?? current.status,
      statusReason: input.statusReason === undefined ? current.statusReason : input.statusReason,
      statusUpdatedTime: statusChanged ? formatTimestamp(this.clock.now()) : current.statusUpdatedTime,
      auth: input.authentication === undefined ? current.auth : resolveAuth(input.authentication, current.auth),
      capabilities: { iotEdge },
    };
    this.table.put(deviceId, next, { ifMatch, etagOf: (e) => identityEtag(e.identityVersion) });
    this.events.emit('identityUpdated', { deviceId });
    const keysChanged = next.auth.primaryKey !== current.auth.primaryKey || next.auth.secondaryKey !== current.auth.secondaryKey;
    if (next.status === 'disabled' || keysChanged) this.disconnect(deviceId);
    // The modules of a disabled device go offline with it (their own keys are unchanged).
    if (next.status === 'disabled') for (const moduleId of this.moduleIds(deviceId)) this.disconnect(deviceId, moduleId);
    return this.table.identity(deviceId) as DeviceIdentity;
  }

  getDevice(deviceId: string): DeviceIdentity {
    this.requireDevice(deviceId);
    return this.table.identity(deviceId) as DeviceIdentity;
  }

  listDevices(top?: number): DeviceIdentity[] {
    const limit = Math.min(top ?? LIMITS.listDevicesMax, LIMITS.listDevicesMax);
    const out: DeviceIdentity[] = [];
    for (const entry of this.table.entries()) {
      if (out.length >= limit) break;
      if (entry.moduleId === undefined) out.push(this.table.identity(entry.deviceId) as DeviceIdentity);
    }
    return out;
  }

  deleteDevice(deviceId: string, ifMatch?: string): void {
    this.requireDevice(deviceId);
    const condition = ifMatch === undefined ? undefined : { ifMatch, etagOf: (e: DeviceEntry) => identityEtag(e.identityVersion) };
    const twin = this.lastTwin(deviceId);
    this.table.delete(deviceId, condition);
    for (const moduleId of this.moduleIds(deviceId)) {
      const key = identityKey(deviceId, moduleId);
      const moduleTwin = this.lastTwin(key);
      this.table.delete(key);
      this.disconnect(deviceId, moduleId);
      this.events.emit('identityDeleted', { deviceId, moduleId, ...moduleTwin });
    }
    this.disconnect(deviceId);
    this.events.emit('identityDeleted', { deviceId, ...twin });
  }

  /** The twin an identity had, for the `identityDeleted` event; rendered only when someone listens (the deviceLifecycleEvents source). */
  private lastTwin(key: string): { twin?: Twin } {
    if (this.events.listenerCount('identityDeleted') === 0) return {};
    const twin = this.table.twin(key);
    return twin === undefined ? {} : { twin };
  }

  statistics(): DeviceStatistics {
    let total = 0;
    let enabled = 0;
    for (const entry of this.table.entries()) {
      if (entry.moduleId !== undefined) continue;
      total += 1;
      if (entry.status === 'enabled') enabled += 1;
    }
    return { totalDeviceCount: total, enabledDeviceCount: enabled, disabledDeviceCount: total - enabled };
  }

  /** `PUT /devices/{id}/modules/{mid}`: create without If-Match (409 when it exists), update with it. */
  putModule(deviceId: string, moduleId: string, input: ModuleIdentityInput, ifMatch?: string): { module: DeviceIdentity; created: boolean } {
    validateIdentityId('moduleId', moduleId);
    const device = this.requireDevice(deviceId);
    const key = identityKey(deviceId, moduleId);
    const current = this.table.get(key);
    if (ifMatch === undefined) {
      if (current) throw new HubError('ModuleAlreadyExistsOnDevice', `A module with ID '${moduleId}' already exists on device '${deviceId}'.`);
      const entry: DeviceEntry = {
        deviceId,
        moduleId,
        generationId: generationId(),
        identityVersion: 1,
        status: 'enabled',
        statusReason: null,
        statusUpdatedTime: NEVER,
        auth: resolveAuth(input.authentication),
        capabilities: { iotEdge: false },
        modelId: '',
        cloudToDeviceMessageCount: 0,
        twin: newTwinState(this.clock.now()),
        ...(input.managedBy ? { managedBy: input.managedBy } : {}),
      };
      this.table.put(key, entry);
      this.events.emit('identityCreated', { deviceId, moduleId });
      return { module: this.table.identity(key) as DeviceIdentity, created: true };
    }
    if (!current) throw new HubError('ModuleNotFound', `Module '${moduleId}' on device '${deviceId}' does not exist.`);
    const next: DeviceEntry = {
      ...current,
      identityVersion: current.identityVersion + 1,
      auth: input.authentication === undefined ? current.auth : resolveAuth(input.authentication, current.auth),
      ...(input.managedBy ? { managedBy: input.managedBy } : {}),
    };
    this.table.put(key, next, { ifMatch, etagOf: (e) => identityEtag(e.identityVersion) });
    this.events.emit('identityUpdated', { deviceId, moduleId });
    if (device.status === 'disabled') this.disconnect(deviceId, moduleId);
    return { module: this.table.identity(key) as DeviceIdentity, created: false };
  }

  getModule(deviceId: string, moduleId: string): DeviceIdentity {
    this.requireModule(deviceId, moduleId);
    return this.table.identity(identityKey(deviceId, moduleId)) as DeviceIdentity;
  }

  listModules(deviceId: string): DeviceIdentity[] {
    this.requireDevice(deviceId);
    return this.moduleIds(deviceId).map((m) => this.table.identity(identityKey(deviceId, m)) as DeviceIdentity);
  }

  deleteModule(deviceId: string, moduleId: string, ifMatch?: string): void {
    this.requireModule(deviceId, moduleId);
    const condition = ifMatch === undefined ? undefined : { ifMatch, etagOf: (e: DeviceEntry) => identityEtag(e.identityVersion) };
    const twin = this.lastTwin(identityKey(deviceId, moduleId));
    this.table.delete(identityKey(deviceId, moduleId), condition);
    this.disconnect(deviceId, moduleId);
    this.events.emit('identityDeleted', { deviceId, moduleId, ...twin });
  }

  /**
   * The `model-id` a device or module announced when it connected (a DTMI), shown as the identity's and
   * twin's `modelId`. A change is an identity update: the etag moves and `identityUpdated` is emitted.
   */
  recordModelId(deviceId: string, moduleId: string | undefined, modelId: string): void {
    const key = identityKey(deviceId, moduleId);
    const current = this.table.get(key);
    if (!current || current.modelId === modelId) return;
    this.table.put(key, { ...current, modelId, identityVersion: current.identityVersion + 1 });
    this.events.emit('identityUpdated', { deviceId, ...(moduleId === undefined ? {} : { moduleId }) });
  }

  requireDevice(deviceId: string): DeviceEntry {
    const entry = this.table.get(deviceId);
    if (!entry || entry.moduleId !== undefined) throw new HubError('DeviceNotFound', deviceId);
    return entry;
  }

  requireModule(deviceId: string, moduleId: string): DeviceEntry {
    this.requireDevice(deviceId);
    const entry = this.table.get(identityKey(deviceId, moduleId));
    if (!entry) throw new HubError('ModuleNotFound', identityKey(deviceId, moduleId));
    return entry;
  }

  private moduleIds(deviceId: string): string[] {
    return this.table.modulesOf(deviceId);
  }
}
