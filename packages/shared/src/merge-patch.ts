import { cloneJson, isJsonObject, type JsonObject, type JsonValue } from './json.js';
import { getOwn, setOwn } from './own-keys.js';

/**
 * JSON merge patch (RFC 7396) as a twin applies it, on the hub and on the device: objects merge member
 * by member, `null` deletes (and is never stored, also inside a new object), anything else (arrays
 * included) replaces. Returns a new object; the target is never changed, unchanged branches are shared
 * and new values are copied. Every key is data (`__proto__` or `constructor` from the wire): own
 * properties are read and written, never a prototype.
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
    setOwn(out, key, isJsonObject(change) ? applyMergePatch(isJsonObject(current) ? current : {}, change) : cloneJson(change));
  }
  return out;
}
