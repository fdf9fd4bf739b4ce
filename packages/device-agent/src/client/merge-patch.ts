import { getOwn, isJsonObject, setOwn, type JsonObject, type JsonValue } from '@hubemu/shared';

/**
 * JSON merge patch as the twin applies it: objects merge member by member, `null` deletes, anything else
 * (arrays included) replaces. Returns a new object; unchanged branches are shared, not copied. Every key is
 * data (a hub may send `__proto__` or `constructor`): own properties are read and written, never a prototype.
 */
export function applyMergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...target };
  for (const key of Object.keys(patch)) {
    const change = patch[key] as JsonValue;
    if (change === null) {
      delete out[key];
      continue;
    }
    const current = getOwn(out, key);
    setOwn(out, key, isJsonObject(change) ? applyMergePatch(isJsonObject(current) ? current : {}, change) : change);
  }
  return out;
}

/** The document without its `$version` (and `$metadata`, should a hub send it). */
export function withoutVersion(doc: JsonObject): JsonObject {
  if (!('$version' in doc) && !('$metadata' in doc)) return doc;
  const { $version: _version, $metadata: _metadata, ...rest } = doc;
  return rest;
}

/** Reads a dotted path (`a.b.c`) from a JSON object (own properties only). */
export function getPath(doc: JsonObject, path: string): JsonValue | undefined {
  let node: JsonValue | undefined = doc;
  for (const part of path.split('.')) {
    if (!isJsonObject(node)) return undefined;
    node = getOwn(node, part);
  }
  return node;
}

/** Builds `{a: {b: value}}` from `a.b` and a value. */
export function patchAtPath(path: string, value: JsonValue): JsonObject {
  const parts = path.split('.');
  let node: JsonValue = value;
  for (let i = parts.length - 1; i >= 0; i--) node = { [parts[i] as string]: node };
  return node as JsonObject;
}
