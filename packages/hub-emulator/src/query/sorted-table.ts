/**
 * Documents kept in key order (UTF-16 code-unit order of the keys), so that a page can resume
 * "after the last key" whatever was added or removed in between. Writes are cheap: updates of an
 * existing key replace in place, additions and removals wait in small buffers that the next read
 * merges in one linear pass (so a fleet of 100,000 devices being created does not pay O(n) per twin).
 */
export class SortedTable<V> {
  private keys: string[] = [];
  private values: V[] = [];
  private readonly added = new Map<string, V>();
  private readonly removed = new Set<string>();

  /** Builds from entries in any order. */
  static from<V>(entries: Iterable<readonly [string, V]>): SortedTable<V> {
    const list = Array.from(entries);
    // The default sort orders strings by UTF-16 code units, like `<`, and is far faster than a comparator.
    const keys = list.map((entry) => entry[0]).sort();
    let unique = 0;
    for (let i = 0; i < keys.length; i++) {
      if (unique === 0 || keys[i] !== keys[unique - 1]) keys[unique++] = keys[i] as string;
    }
    keys.length = unique;
    const values = new Array<V>(unique);
    for (const [key, value] of list) values[exactIndex(keys, key)] = value; // a duplicate key keeps its last value
    return SortedTable.fromSorted(keys, values);
  }

  /** Adopts keys that are already in order (and unique), with their values. */
  static fromSorted<V>(keys: string[], values: V[]): SortedTable<V> {
    const table = new SortedTable<V>();
    table.keys = keys;
    table.values = values;
    return table;
  }

  set(key: string, value: V): void {
    const i = exactIndex(this.keys, key);
    if (i >= 0) {
      this.values[i] = value;
      this.removed.delete(key);
      return;
    }
    this.added.set(key, value);
  }

  delete(key: string): void {
    this.added.delete(key);
    if (exactIndex(this.keys, key) >= 0) this.removed.add(key);
  }

  get(key: string): V | undefined {
    const pending = this.added.get(key);
    if (pending !== undefined) return pending;
    if (this.removed.has(key)) return undefined;
    const i = exactIndex(this.keys, key);
    return i >= 0 ? this.values[i] : undefined;
  }

  get size(): number {
    this.settle();
    return this.keys.length;
  }

  /** The current keys and values, in key order. Valid until the next write. */
  view(): { readonly keys: readonly string[]; readonly values: readonly V[] } {
    this.settle();
    return { keys: this.keys, values: this.values };
  }

  private settle(): void {
    if (this.added.size === 0 && this.removed.size === 0) return;
    const incomingKeys = Array.from(this.added.keys()).sort();
    const incoming = incomingKeys.map((key) => [key, this.added.get(key) as V] as const);
    const keys: string[] = [];
    const values: V[] = [];
    let j = 0;
    for (let i = 0; i < this.keys.length; i++) {
      const key = this.keys[i] as string;
      while (j < incoming.length && (incoming[j] as readonly [string, V])[0] < key) {
        const [k, v] = incoming[j++] as readonly [string, V];
        keys.push(k);
        values.push(v);
      }
      if (this.removed.has(key)) continue;
      keys.push(key);
      values.push(this.values[i] as V);
    }
    for (; j < incoming.length; j++) {
      const [k, v] = incoming[j] as readonly [string, V];
      keys.push(k);
      values.push(v);
    }
    this.keys = keys;
    this.values = values;
    this.added.clear();
    this.removed.clear();
  }
}

/** Index of the first key strictly greater than `key` (binary search). */
export function upperBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first key greater than or equal to `key`. */
export function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function exactIndex(keys: readonly string[], key: string): number {
  const i = lowerBound(keys, key);
  return i < keys.length && keys[i] === key ? i : -1;
}
