import { isJsonObject, type JsonObject, type JsonValue } from '@hubemu/shared';
import { getPath, PathSet, setPath } from './content-leaves.js';
import type { EffectiveLeaf } from './resolve-content.js';

/** Deep equality of JSON values (object key order does not matter). */
export function jsonEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
}

/** What configurations had set on a twin before this evaluation. */
export interface PreviousSettings {
  /** Leaf keys configurations set. */
  leaves: Iterable<string>;
  /** The content keys those leaves came from (`chiller-water` for `properties.desired.chiller-water`). */
  roots: Iterable<string>;
}

/**
 * The desired-properties patch that brings one twin to what its configurations say, or undefined when
 * it already holds exactly that (the twin is not rewritten). Settings configurations made before and
 * no configuration makes now are removed (patched to null), as the service removes a configuration's
 * settings from a twin that leaves it: a whole content key (`chiller-water`) when nothing else now
 * sets anything inside it, else leaf by leaf.
 */
export function planTwinPatch(
  desired: JsonObject,
  effective: Iterable<EffectiveLeaf>,
  previous: PreviousSettings = { leaves: [], roots: [] },
  /** The keys of `effective`, when the caller already has them. */
  effectiveKeys?: PathSet,
): JsonObject | undefined {
  const patch: JsonObject = {};
  let changed = false;
  const keys = effectiveKeys ?? new PathSet();
  for (const leaf of effective) {
    if (!effectiveKeys) keys.add(leaf.key);
    const current = getPath(desired, leaf.path);
    if (leaf.value === null) {
      if (current === undefined) continue;
    } else if (isJsonObject(leaf.value) && Object.keys(leaf.value).length === 0) {
      if (isJsonObject(current)) continue;
    } else if (jsonEqual(current, leaf.value)) {
      continue;
    }
    setPath(patch, leaf.path, leaf.value);
    changed = true;
  }
  const removed = new PathSet();
  for (const root of previous.roots) {
    if (keys.overlaps(root) || removed.overlaps(root)) continue;
    removed.add(root);
    const path = root.split('.');
    if (getPath(desired, path) === undefined) continue;
    setPath(patch, path, null);
    changed = true;
  }
  for (const key of previous.leaves) {
    if (keys.overlaps(key) || removed.overlaps(key)) continue;
    const path = key.split('.');
    if (getPath(desired, path) === undefined) continue;
    setPath(patch, path, null);
    changed = true;
  }
  return changed ? patch : undefined;
}
