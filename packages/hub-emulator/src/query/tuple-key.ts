import { totalCompare, typeRank, type Value } from './values.js';

/**
 * Tuples of values (GROUP BY keys, ORDER BY keys) as strings for continuation tokens, and their
 * total order. Each value is written as `[typeRank, value]` so `undefined` survives JSON.
 */
export function encodeTuple(values: readonly Value[]): string {
  return JSON.stringify(values.map((v) => (v === undefined ? [0, null] : [typeRank(v), v])));
}

export function decodeTuple(text: string): Value[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const out: Value[] = [];
  for (const item of parsed) {
    if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== 'number') return undefined;
    out.push(item[0] === 0 ? undefined : (item[1] as Value));
  }
  return out;
}

/** Compares tuples item by item; `descending[i]` flips item i. */
export function compareTuples(a: readonly Value[], b: readonly Value[], descending?: readonly boolean[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = totalCompare(a[i], b[i]);
    if (c !== 0) return descending?.[i] === true ? -c : c;
  }
  return a.length - b.length;
}
