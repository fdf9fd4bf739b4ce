import { HubError, type DeviceIdentityInput } from '@hubemu/shared';
import type { DeviceEntry } from './device-entry.js';

/**
 * Parent and child devices (IoT Edge gateways). An edge device (`capabilities.iotEdge`) owns a scope,
 * `ms-azure-iot-edge://{deviceId}-{generationId}`, generated and immutable. A leaf device is put under an
 * edge device by setting its `deviceScope` (or `parentScopes`) to that scope; the service then shows
 * `parentScopes: [scope]` on it. Edge devices nest: an edge device's `parentScopes` names the edge device
 * above it. A scope that is not an existing edge device's is refused, as is a nesting that loops.
 */
export type ScopeFields = Pick<DeviceEntry, 'deviceScope' | 'parentScopes'>;

/** Finds an identity by key (the device table's `get`). */
export type EntryLookup = (key: string) => DeviceEntry | undefined;

const EDGE_SCOPE = /^ms-azure-iot-edge:\/\/(.+)-(\d+)$/;

export function edgeScopeOf(deviceId: string, generationId: string): string {
  return `ms-azure-iot-edge://${deviceId}-${generationId}`;
}

/** The edge device whose scope `scope` is, or undefined. */
function edgeDeviceOf(scope: string, lookup: EntryLookup): DeviceEntry | undefined {
  const deviceId = EDGE_SCOPE.exec(scope)?.[1];
  const entry = deviceId === undefined ? undefined : lookup(deviceId);
  return entry && entry.moduleId === undefined && entry.capabilities.iotEdge && entry.deviceScope === scope ? entry : undefined;
}

function requireEdgeScope(scope: string, lookup: EntryLookup): DeviceEntry {
  const parent = edgeDeviceOf(scope, lookup);
  if (!parent) throw new HubError('ArgumentInvalid', `The scope '${scope}' is not the device scope of an IoT Edge device in this hub.`);
  return parent;
}

type ScopeInput = Pick<DeviceIdentityInput, 'deviceScope' | 'parentScopes'>;

/** The parent scope the input asks for: undefined keeps the current one, null clears it. */
function requestedParent(input: ScopeInput, isEdge: boolean): string | null | undefined {
  const parents = input.parentScopes;
  if (parents !== undefined && parents !== null && parents.length > 1) throw new HubError('ArgumentInvalid', 'A device has at most one parent: parentScopes holds one scope.');
  const fromParents = parents === undefined ? undefined : (parents?.[0] ?? null);
  if (isEdge) return fromParents;
  // A leaf's parent is its deviceScope; parentScopes alone also names it.
  const fromScope = input.deviceScope === undefined ? undefined : input.deviceScope || null;
  return fromScope !== undefined ? fromScope : fromParents;
}

/**
 * The `deviceScope`/`parentScopes` a device gets from a create or update. `current` is the stored
 * device (undefined on create); `self` its id and generation. Throws ArgumentInvalid for a scope that
 * is not an edge device's, more than one parent, or an edge nesting that would loop.
 */
export function resolveScopes(self: { deviceId: string; generationId: string; iotEdge: boolean }, input: ScopeInput, current: ScopeFields | undefined, lookup: EntryLookup): ScopeFields {
  const ownScope = self.iotEdge ? edgeScopeOf(self.deviceId, self.generationId) : undefined;
  const asked = requestedParent(input, self.iotEdge);
  const previousParent = current?.parentScopes?.[0];
  const parent = asked === undefined ? previousParent : (asked ?? undefined);
  if (parent !== undefined && parent !== previousParent) {
    requireEdgeScope(parent, lookup);
    if (ownScope !== undefined) refuseLoop(ownScope, parent, lookup);
  }
  const scopes: ScopeFields = {};
  const deviceScope = ownScope ?? parent;
  if (deviceScope !== undefined) scopes.deviceScope = deviceScope;
  if (parent !== undefined) scopes.parentScopes = [parent];
  return scopes;
}

/** Refuses `parent` for the edge device of `ownScope` when `ownScope` is already above `parent` (or is it). */
function refuseLoop(ownScope: string, parent: string, lookup: EntryLookup): void {
  const seen = new Set<string>();
  for (let scope: string | undefined = parent; scope !== undefined && !seen.has(scope); scope = edgeDeviceOf(scope, lookup)?.parentScopes?.[0]) {
    if (scope === ownScope) throw new HubError('ArgumentInvalid', `An edge device cannot be nested under itself or under an edge device below it ('${parent}').`);
    seen.add(scope);
  }
}
