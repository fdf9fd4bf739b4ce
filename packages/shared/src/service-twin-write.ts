import { HubError } from './errors.js';
import { isJsonObject, type JsonObject } from './json.js';
import { parseRequiredBody } from './parse.js';
import { TwinPatchSchema, type TwinPatch } from './twin.js';
import type { TwinWrite } from './twin-rules.js';

/**
 * A service-side twin body (`PATCH`/`PUT /twins/{id}`, the embedded `hub.updateTwin`), parsed once at
 * the edge it came in by: absent is 400 ArgumentNull, a body that is not a twin patch 400 ArgumentInvalid.
 */
export function parseServiceTwinBody(body: unknown, mode: 'patch' | 'replace'): TwinPatch {
  return parseRequiredBody(TwinPatchSchema, body, mode === 'patch' ? 'twin patch' : 'twin');
}

/** A section without the `$metadata` and `$version` a client copied back from a GET. */
export function withoutSystemKeys(section: JsonObject): JsonObject {
  if (!('$metadata' in section) && !('$version' in section)) return section;
  const { $metadata: _m, $version: _v, ...rest } = section;
  return rest;
}

/** True when a service-side body carries reported values; `"reported": {}` (what Microsoft's SDKs send) carries none. */
export function carriesReported(body: TwinPatch): boolean {
  const reported = body.properties?.reported;
  if (reported === undefined || reported === null) return false;
  return !isJsonObject(reported) || Object.keys(withoutSystemKeys(reported)).length > 0;
}

/**
 * The write a service-side twin body asks for (`PATCH`/`PUT /twins/{id}`, a job's `updateTwin`), as the
 * service reads it: `tags` and `properties.desired` merge (`patch`) or replace (`replace`); `null` for a
 * whole section clears it (`"desired": null` removes every desired property, `"tags": null` every tag).
 * An empty section in a patch writes nothing. Reported properties are read-only from the service: a
 * patch with reported values is refused (ArgumentInvalid), an empty `reported` is accepted and writes
 * nothing; a PUT ignores `reported` (a whole twin copied from a GET carries it).
 */
export function serviceTwinWrite(body: TwinPatch, mode: 'patch' | 'replace'): TwinWrite {
  if (mode === 'patch' && carriesReported(body)) {
    throw new HubError('ArgumentInvalid', 'Only the device can update reported properties. They are read-only from the service side.');
  }
  const write: TwinWrite = {};
  const tags = sectionWrite(body.tags, mode);
  if (tags) write.tags = tags;
  const desired = sectionWrite(body.properties?.desired, mode);
  if (desired) write.desired = desired;
  return write;
}

function sectionWrite(section: JsonObject | null | undefined, mode: 'patch' | 'replace'): TwinWrite['desired'] {
  if (section === undefined) return undefined;
  if (section === null) return { clear: true };
  const values = withoutSystemKeys(section);
  if (mode === 'replace') return { replace: values };
  return Object.keys(values).length === 0 ? undefined : { patch: values };
}
