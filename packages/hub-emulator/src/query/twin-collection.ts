import type { Twin } from '@hubemu/shared';
import { internalKeyOf, internalTwinKey, type TwinCollectionName, type TwinSource } from './sources.js';
import { SortedTable } from './sorted-table.js';
import { TagIndex } from './tag-index.js';

/** At most this many tag paths are indexed per collection; further paths are served by scans. */
export const MAX_TAG_INDEXES = 16;

/**
 * One twin collection as the engine sees it: a snapshot in key order (built on first use from
 * `source.list()`) and equality indexes on tag paths (built on first use of each path). Both are
 * kept current by `changed()`, which the engine calls from `onTwinChanged`.
 */
export class TwinCollection {
  private table: SortedTable<Twin> | undefined;
  private readonly tagIndexes = new Map<string, TagIndex>();

  constructor(
    readonly name: TwinCollectionName,
    readonly source: TwinSource,
  ) {}

  snapshot(): { readonly keys: readonly string[]; readonly docs: readonly Twin[] } {
    if (this.table === undefined) {
      const entries: Array<[string, Twin]> = [];
      for (const twin of this.source.list()) entries.push([internalTwinKey(this.name, twin), twin]);
      this.table = SortedTable.from(entries);
    }
    const view = this.table.view();
    return { keys: view.keys, docs: view.values };
  }

  /** The index on a tag path, built now if needed; undefined when the index budget is spent. */
  tagIndex(segments: readonly string[]): TagIndex | undefined {
    const id = segments.join('\u0000');
    const existing = this.tagIndexes.get(id);
    if (existing !== undefined) return existing;
    if (this.tagIndexes.size >= MAX_TAG_INDEXES) return undefined;
    const { keys, docs } = this.snapshot();
    const index = TagIndex.build(segments, keys, docs);
    this.tagIndexes.set(id, index);
    return index;
  }

  changed(sourceKey: string, twin: Twin | undefined): void {
    if (this.table === undefined) return; // nothing built yet: the first query reads the source
    const key = twin === undefined ? internalKeyOf(this.name, sourceKey) : internalTwinKey(this.name, twin);
    if (twin === undefined) this.table.delete(key);
    else this.table.set(key, twin);
    for (const index of this.tagIndexes.values()) index.update(key, twin);
  }

  /** Drops the snapshot and indexes (they are rebuilt from the source on next use). */
  clear(): void {
    this.table = undefined;
    this.tagIndexes.clear();
  }
}
