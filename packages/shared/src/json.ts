import { setOwn } from './own-keys.js';

/** JSON values as they cross the wire. */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Structured clone for plain JSON (faster than structuredClone for small documents). */
export function cloneJson<T extends JsonValue>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => cloneJson(v)) as T;
  const out: JsonObject = {};
  for (const key of Object.keys(value)) setOwn(out, key, cloneJson((value as JsonObject)[key] as JsonValue));
  return out as T;
}

/**
 * True when `value` nests objects and arrays more than `maxDepth` levels deep (`{}` and `[]` are one
 * level, a scalar none). It walks without recursion, so it is safe on input of any depth, and it
 * stops at the first branch that is too deep.
 */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: Array<{ node: object; level: number }> = [];
  if (value !== null && typeof value === 'object') stack.push({ node: value, level: 1 });
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (top.level > maxDepth) return true;
    for (const child of Array.isArray(top.node) ? top.node : Object.values(top.node)) {
      if (child !== null && typeof child === 'object') stack.push({ node: child as object, level: top.level + 1 });
    }
  }
  return false;
}

/** Parses JSON text; returns `undefined` instead of throwing on malformed input. */
export function tryParseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
