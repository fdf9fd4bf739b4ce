import { getOwn, isJsonObject, type JsonObject, type JsonValue } from '@hubemu/shared';
import type { Convergence } from './scenario.js';

function valueAt(root: JsonObject, path: string): JsonValue | undefined {
  let node: JsonValue | undefined = root;
  for (const part of path.split('.')) {
    if (!isJsonObject(node)) return undefined;
    node = getOwn(node, part);
  }
  return node;
}

function holds(value: JsonValue | undefined, fields: Readonly<Record<string, unknown>>): boolean {
  if (!isJsonObject(value)) return false;
  return Object.entries(fields).every(([key, wanted]) => JSON.stringify(getOwn(value, key)) === JSON.stringify(wanted));
}

/**
 * What a reported patch the hub accepted means for a device's convergence: `converged` when the reported
 * object at the watched path now holds every `matches` field, `failed` when it holds the `failsWhen` fields,
 * else nothing. Only patches that touch the watched path count.
 */
export function convergenceOf(convergence: Convergence, reported: JsonObject, patch: JsonObject): 'converged' | 'failed' | undefined {
  if (!('reported' in convergence)) return undefined;
  const top = convergence.reported.split('.')[0] ?? '';
  if (getOwn(patch, top) === undefined) return undefined;
  const value = valueAt(reported, convergence.reported);
  if (holds(value, convergence.matches)) return 'converged';
  if (convergence.failsWhen && holds(value, convergence.failsWhen)) return 'failed';
  return undefined;
}
