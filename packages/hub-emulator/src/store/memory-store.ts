import { EmbeddedStore, type Collection, type CollectionName, type EtagCondition, type Store } from './collection.js';
import { assertCondition } from './etag-condition.js';

/** A collection in a Map. `onWrite` lets the durable store log each change after it is checked. */
export class MemoryCollection<T> implements Collection<T> {
  private readonly map = new Map<string, T>();

  constructor(private readonly onWrite?: (key: string, value: T | undefined) => void) {}

  get(key: string): T | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  values(): IterableIterator<T> {
    return this.map.values();
  }

  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  get size(): number {
    return this.map.size;
  }

  put(key: string, value: T, condition?: EtagCondition<T>): void {
    assertCondition(key, this.map.get(key), condition);
    this.onWrite?.(key, value);
    this.map.set(key, value);
  }

  delete(key: string, condition?: EtagCondition<T>): boolean {
    const current = this.map.get(key);
    if (current === undefined && !condition) return false;
    assertCondition(key, current, condition);
    this.onWrite?.(key, undefined);
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  /** Loads a value without logging it (replay). */
  load(key: string, value: T | undefined): void {
    if (value === undefined) this.map.delete(key);
    else this.map.set(key, value);
  }
}

export class MemoryStore extends EmbeddedStore implements Store {
  private readonly collections = new Map<CollectionName, MemoryCollection<unknown>>();

  collection<T>(name: CollectionName): Collection<T> {
    let c = this.collections.get(name);
    if (!c) {
      c = new MemoryCollection<unknown>();
      this.collections.set(name, c);
    }
    return c as Collection<T>;
  }

  clear(): void {
    for (const c of this.collections.values()) c.clear();
  }

  close(): void {}
}
