import type { DeviceIdentity, ModuleIdentityInput } from '@hubemu/shared';
import { asIdentity } from './responses.js';
import { pathOf, quoteEtag, type RestClient } from './rest-client.js';

export type ModuleInput = Omit<ModuleIdentityInput, 'deviceId' | 'moduleId' | 'etag'>;

/** Module identities: `/devices/{id}/modules`. */
export class ModulesApi {
  constructor(private readonly rest: RestClient) {}

  /** Creates a module; 409 ModuleAlreadyExistsOnDevice when it exists. */
  async create(deviceId: string, moduleId: string, input: ModuleInput = {}): Promise<DeviceIdentity> {
    const body = { authentication: { type: 'sas', symmetricKey: { primaryKey: '', secondaryKey: '' } }, ...input, deviceId, moduleId };
    return asIdentity(await this.rest.request({ method: 'PUT', path: pathOf('devices', deviceId, 'modules', moduleId), body }), 'create module');
  }

  async get(deviceId: string, moduleId: string): Promise<DeviceIdentity> {
    return asIdentity(await this.rest.request({ method: 'GET', path: pathOf('devices', deviceId, 'modules', moduleId) }), 'get module');
  }

  async list(deviceId: string): Promise<DeviceIdentity[]> {
    const answer = await this.rest.request<unknown[]>({ method: 'GET', path: pathOf('devices', deviceId, 'modules') });
    if (!Array.isArray(answer.body)) return [];
    return answer.body.map((item) => asIdentity({ ...answer, body: item }, 'list modules'));
  }

  async update(deviceId: string, moduleId: string, input: ModuleInput, options: { etag?: string } = {}): Promise<DeviceIdentity> {
    const answer = await this.rest.request({
      method: 'PUT',
      path: pathOf('devices', deviceId, 'modules', moduleId),
      headers: { 'If-Match': quoteEtag(options.etag ?? '*') },
      body: { ...input, deviceId, moduleId },
    });
    return asIdentity(answer, 'update module');
  }

  async delete(deviceId: string, moduleId: string, options: { etag?: string } = {}): Promise<void> {
    await this.rest.request({ method: 'DELETE', path: pathOf('devices', deviceId, 'modules', moduleId), headers: { 'If-Match': quoteEtag(options.etag ?? '*') } });
  }
}
