import type { Twin } from '@hubemu/shared';
import type { Primitive } from './ast.js';
import { makeGetter, type Getter } from './path-getter.js';
import { isPrimitive } from './values.js';
import { SortedTable } from './sorted-table.js';

export interface Candidates {
  readonly keys: readonly string[];
  readonly docs: readonly object[];
}

/**
 * Equality index on one tag path (`tags.location.region`): for each primitive value, the twins
 * holding it, in key order. Remembers what it indexed per twin, so it stays right even when the
 * twin service mutates twin objects in place.
 */
export class TagIndex {
  private readonly postings = new Map<Primitive, SortedTable<Twin>>();
  private readonly indexed = new Map<string, Primitive>();
  private readonly get: Getter;

  constructor(readonly segments: readonly string[]) {
    this.get = makeGetter(segments);
  }

  /** Builds from twins already in key order (the collection snapshot). */
  static build(segments: readonly string[], keys: readonly string[], twins: readonly Twin[]): TagIndex {
    const index = new TagIndex(segments);
    const grouped = new Map<Primitive, { keys: string[]; twins: Twin[] }>();
    for (let i = 0; i < keys.length; i++) {
      const twin = twins[i] as Twin;
      const value = index.get(twin);
      if (!isPrimitive(value)) continue;
      const key = keys[i] as string;
      index.indexed.set(key, value);
      let list = grouped.get(value);
      if (list === undefined) grouped.set(value, (list = { keys: [], twins: [] }));
      list.keys.push(key);
      list.twins.push(twin);
    }
    // The snapshot is in key order, so each posting is too.
    for (const [value, list] of grouped) index.postings.set(value, SortedTable.fromSorted(list.keys, list.twins));
    return index;
  }

  update(key: string, twin: Twin | undefined): void {
    const before = this.indexed.get(key);
    const hadBefore = this.indexed.has(key);
    const raw = twin === undefined ? undefined : this.get(twin);
    const after = isPrimitive(raw) ? raw : undefined;
    if (hadBefore && (after === undefined || after !== before)) {
      this.postings.get(before as Primitive)?.delete(key);
      this.indexed.delete(key);
    }
    if (after === undefined || twin === undefined) return;
    let posting = this.postings.get(after);
    if (posting === undefined) this.postings.set(after, (posting = new SortedTable<Twin>()));
    posting.set(key, twin);
    this.indexed.set(key, after);
  }

  /** The twins whose value at the path is `value`, in key order. */
  lookup(value: Primitive): Candidates {
    const posting = this.postings.get(value);
    if (posting === undefined) return { keys: [], docs: [] };
    const view = posting.view();
    return { keys: view.keys, docs: view.values };
  }
}
