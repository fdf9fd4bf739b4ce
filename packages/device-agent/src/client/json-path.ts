import { getOwn, isJsonObject, type JsonObject, type JsonValue } from '@hubemu/shared';

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
