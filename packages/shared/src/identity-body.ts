import { HubError } from './errors.js';
import { DeviceIdentityInputSchema, ModuleIdentityInputSchema, type DeviceIdentityInput, type ModuleIdentityInput } from './identity.js';
import { parseWithSchema } from './parse.js';

/**
 * A device identity body (`PUT /devices/{id}`, one item of a bulk `POST /devices`, a seed), parsed once at
 * the edge it came in by. Absent (not null) is every default; a `deviceId` in it must be the one of the URL.
 */
export function parseDeviceIdentityBody(deviceId: string, body: unknown): DeviceIdentityInput {
  const input = parseWithSchema(DeviceIdentityInputSchema, body === undefined ? {} : body, 'identity');
  if (input.deviceId !== undefined && input.deviceId !== deviceId) {
    throw new HubError('ArgumentInvalid', `The deviceId in the body ('${input.deviceId}') does not match the URL ('${deviceId}').`);
  }
  return input;
}

/** A module identity body (`PUT /devices/{id}/modules/{mid}`), parsed once at the edge; a `moduleId` in it must be the URL's. */
export function parseModuleIdentityBody(moduleId: string, body: unknown): ModuleIdentityInput {
  const input = parseWithSchema(ModuleIdentityInputSchema, body === undefined ? {} : body, 'identity');
  if (input.moduleId !== undefined && input.moduleId !== moduleId) {
    throw new HubError('ArgumentInvalid', `The moduleId in the body ('${input.moduleId}') does not match the URL ('${moduleId}').`);
  }
  return input;
}
