import { HubError, parseDeviceIdentityBody, toHubError, type DeviceIdentityInput } from '@hubemu/shared';
import type { RegistryService } from '../registry/registry-service.js';
import type { ExportImportDevice } from './request-schemas.js';

/** One failed item of a bulk request (C# `DeviceRegistryOperationError`; `errorCode` is the numeric code, e.g. 409001). */
export interface BulkItemError {
  deviceId: string;
  errorCode: number;
  errorStatus: string;
}

/** The answer of `POST /devices` (C# `BulkRegistryOperationResult`). */
export interface BulkResult {
  isSuccessful: boolean;
  errors: BulkItemError[];
  warnings: unknown[];
}

/** The identity fields of an ExportImportDevice, parsed as `PUT /devices/{id}` parses its body: a bad one is this item's error. */
function identityInput(item: ExportImportDevice): DeviceIdentityInput {
  const { id: _id, importMode: _mode, moduleId: _module, eTag: _eTag, etag: _etag, tags: _tags, properties: _properties, twinETag: _twinETag, ...identity } = item;
  return parseDeviceIdentityBody(item.id, identity);
}

function quoted(etag: string): string {
  return etag.startsWith('"') && etag.endsWith('"') && etag.length >= 2 ? etag : `"${etag}"`;
}

function requiredEtag(item: ExportImportDevice): string {
  const etag = item.eTag ?? item.etag;
  if (!etag) throw new HubError('ArgumentNull', `importMode '${item.importMode}' needs the device's eTag.`);
  return quoted(etag);
}

function exists(registry: RegistryService, deviceId: string): boolean {
  try {
    registry.requireDevice(deviceId);
    return true;
  } catch {
    return false;
  }
}

/** Applies one item through the registry service; throws the HubError that becomes its error entry. */
function applyItem(registry: RegistryService, item: ExportImportDevice): void {
  const id = item.id;
  switch (item.importMode) {
    case 'create':
      registry.createDevice(id, identityInput(item));
      return;
    case 'update':
      registry.updateDevice(id, identityInput(item), '"*"');
      return;
    case 'updateIfMatchETag':
      registry.updateDevice(id, identityInput(item), requiredEtag(item));
      return;
    case 'createOrUpdate':
      if (exists(registry, id)) registry.updateDevice(id, identityInput(item), '"*"');
      else registry.createDevice(id, identityInput(item));
      return;
    case 'createOrUpdateIfMatchETag':
      if (exists(registry, id)) registry.updateDevice(id, identityInput(item), requiredEtag(item));
      else registry.createDevice(id, identityInput(item));
      return;
    case 'delete':
      registry.deleteDevice(id, '"*"');
      return;
    case 'deleteIfMatchETag':
      registry.deleteDevice(id, requiredEtag(item));
      return;
  }
}

/**
 * `POST /devices` (bulk create/update/delete of up to 100 identities). The request as a whole was
 * already checked at the edge; each item is then applied on its own, and an item that fails
 * (exists, not found, stale etag, bad keys) is reported in `errors` while the others take effect.
 * Each item is all-or-nothing: the registry service validates before it writes.
 */
export function applyBulk(registry: RegistryService, items: readonly ExportImportDevice[]): BulkResult {
  const errors: BulkItemError[] = [];
  for (const item of items) {
    try {
      applyItem(registry, item);
    } catch (thrown) {
      const error = toHubError(thrown);
      errors.push({ deviceId: item.id, errorCode: error.code, errorStatus: error.message });
    }
  }
  return { isSuccessful: errors.length === 0, errors, warnings: [] };
}
