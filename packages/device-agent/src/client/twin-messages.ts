import { DesiredNotificationSchema, DeviceTwinViewSchema, isJsonObject, tryParseJson, withoutSystemKeys, type JsonObject } from '@hubemu/shared';
import { DeviceClientError } from '../errors.js';
import type { TwinResponse } from './request-tracker.js';

/** A twin section as the device sees it: properties plus `$version` (no `$metadata`). */
export type VersionedSection = JsonObject & { $version: number };

/** The body of a twin GET response. */
export interface TwinDocument {
  desired: VersionedSection;
  reported: VersionedSection;
}

/** A desired-properties notification: the patch as the back end applied it, with the new `$version`. */
export type DesiredPatch = JsonObject & { $version: number };

function bodyText(body: Buffer): string {
  return body.toString('utf8').trim();
}

/**
 * The error a twin response carries, if any. Like Node's SDK, an `errorCode` in the JSON body fails the
 * request; unlike it, a `{status}` of 300 or more without a body also fails (the status is not ignored).
 */
export function twinResponseError(response: TwinResponse, rid: string, what: string, deviceId?: string): DeviceClientError | undefined {
  const text = bodyText(response.body);
  if (text !== '') {
    const parsed = tryParseJson(text);
    if (parsed.ok && isJsonObject(parsed.value) && parsed.value.errorCode) {
      const body = parsed.value;
      const errorCode = Number(body.errorCode);
      const message = typeof body.message === 'string' ? body.message : `${what} failed`;
      return new DeviceClientError('HubError', `${what} failed (${response.status}, ${body.errorCode}): ${message}`, {
        status: response.status,
        errorCode: Number.isFinite(errorCode) ? errorCode : undefined,
        trackingId: typeof body.trackingId === 'string' ? body.trackingId : undefined,
        rid,
        deviceId,
      });
    }
  }
  if (response.status >= 300) {
    return new DeviceClientError('HubError', `${what} failed with status ${response.status}`, { status: response.status, rid, deviceId });
  }
  return undefined;
}

function section(value: JsonObject): VersionedSection {
  const version = typeof value.$version === 'number' ? value.$version : 0;
  return { ...withoutSystemKeys(value), $version: version };
}

/**
 * Parses a GET body: `{"desired":{..},"reported":{..}}`, or the `{"properties":{..}}` wrapper of the
 * 2017/2018 docs (reference 1.6).
 */
export function parseTwinDocument(body: Buffer, rid: string): TwinDocument {
  const parsed = tryParseJson(bodyText(body));
  const root = parsed.ok && isJsonObject(parsed.value) ? parsed.value : undefined;
  const view = DeviceTwinViewSchema.safeParse(root && isJsonObject(root.properties) && !('desired' in root) ? root.properties : root);
  if (!view.success) throw new DeviceClientError('ProtocolError', 'The twin GET response is not {desired, reported}.', { rid });
  return { desired: section(view.data.desired), reported: section(view.data.reported) };
}

/** Parses a desired notification; the `$version` comes from the body, else from the topic. */
export function parseDesiredPatch(body: Buffer, topicVersion: number): DesiredPatch | undefined {
  const parsed = tryParseJson(bodyText(body) || '{}');
  const patch = parsed.ok ? DesiredNotificationSchema.safeParse(parsed.value) : undefined;
  if (!patch?.success) return undefined;
  return { ...patch.data, $version: typeof patch.data.$version === 'number' ? patch.data.$version : topicVersion };
}
