/**
 * The store interfaces. Every implementation (memory, durable) passes the one contract suite in
 * `store-contract.ts`. Stores are synchronous: the hub is single-threaded, so a read-check-write in
 * one tick is atomic, and a durable write is on its way to disk before the caller acknowledges it.
 * Values are treated as immutable: callers put new objects, never mutate stored ones.
 */

export interface EtagCondition<T> {
  /** The client's `If-Match` (quoted etag, bare etag, or `*`). */
  ifMatch: string;
  /** Which etag of the stored value the condition is about (a device has an identity etag and a twin etag). */
  etagOf: (current: T) => string;
}

export interface Collection<T> {
  get(key: string): T | undefined;
  has(key: string): boolean;
  values(): IterableIterator<T>;
  keys(): IterableIterator<string>;
  readonly size: number;
  /**
   * Writes `value` under `key`. With a condition, throws HubError PreconditionFailed (412001) and
   * writes nothing when the stored value's etag does not match, or when there is no stored value.
   */
  put(key: string, value: T, condition?: EtagCondition<T>): void;
  /** Deletes `key`; same condition rules as `put`. Returns false when there was nothing to delete. */
  delete(key: string, condition?: EtagCondition<T>): boolean;
  clear(): void;
}

export const COLLECTION_NAMES = ['identities', 'presence', 'jobs', 'deviceJobs', 'configurations', 'configurationLedger', 'meta', 'c2dMessages', 'c2dSequences'] as const;
export type CollectionName = (typeof COLLECTION_NAMES)[number];

export interface Store {
  collection<T>(name: CollectionName): Collection<T>;
  /** Empties every collection (the embedded `reset()`). */
  clear(): void;
  /** Makes sure everything acknowledged is on disk, then releases files. */
  close(): void;
}
