import type { JsonObject, Twin } from '@hubemu/shared';
import { asTwin } from './responses.js';
import { pathOf, quoteEtag, type RestClient } from './rest-client.js';

/** The writable part of a twin: tags and desired properties. */
export interface TwinUpdate {
  tags?: JsonObject | null;
  properties?: { desired?: JsonObject | null };
}

export interface TwinTarget {
  moduleId?: string;
}

export interface TwinWriteOptions extends TwinTarget {
  /** Write only if the twin still has this etag (else 412 PreconditionFailed); `*` or absent writes unconditionally. */
  etag?: string;
}

function twinPath(deviceId: string, moduleId: string | undefined): string {
  return moduleId === undefined ? pathOf('twins', deviceId) : pathOf('twins', deviceId, 'modules', moduleId);
}

/** Device and module twins: `/twins/{id}[/modules/{mid}]`. */
export class TwinsApi {
  constructor(private readonly rest: RestClient) {}

  async get(deviceId: string, options: TwinTarget = {}): Promise<Twin> {
    return asTwin(await this.rest.request({ method: 'GET', path: twinPath(deviceId, options.moduleId) }), 'get twin');
  }

  /** Deep-merges tags and desired properties (`null` deletes a key); returns the whole updated twin. */
  async patch(deviceId: string, update: TwinUpdate, options: TwinWriteOptions = {}): Promise<Twin> {
    return this.write('PATCH', deviceId, update, options);
  }

  /** Replaces the tags and/or desired sections given; returns the whole updated twin. */
  async replace(deviceId: string, update: TwinUpdate, options: TwinWriteOptions = {}): Promise<Twin> {
    return this.write('PUT', deviceId, update, options);
  }

  private async write(method: 'PATCH' | 'PUT', deviceId: string, update: TwinUpdate, options: TwinWriteOptions): Promise<Twin> {
    const answer = await this.rest.request({
      method,
      path: twinPath(deviceId, options.moduleId),
      headers: { 'If-Match': quoteEtag(options.etag ?? '*') },
      body: update,
    });
    return asTwin(answer, method === 'PATCH' ? 'patch twin' : 'replace twin');
  }
}
