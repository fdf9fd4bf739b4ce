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

export const COLLECTION_NAMES = ['identities', 'presence', 'jobs', 'deviceJobs', 'configurations', 'configurationLedger', 'meta', 'c2dMessages', 'c2dSequences', 'c2dFeedback'] as const;
export type CollectionName = (typeof COLLECTION_NAMES)[number];

/** A write another hub process made to a store both share (docs/scale-out.md), as this process applied it. */
export interface RemoteWrite {
  collection: CollectionName;
  key: string;
  /** The new value; undefined when the key was deleted. */
  value: unknown;
  /** What this process held before. */
  previous: unknown;
  /** What the writer attached with `note` (for instance the event the write raised there). */
  note?: unknown;
}

/** What a plane needs of the store to carry out a request: run it as one unit, and wait for what other processes acknowledged (docs/scale-out.md). */
export type Units = Pick<Store, 'replicated' | 'transaction' | 'fence'>;

export interface Store {
  collection<T>(name: CollectionName): Collection<T>;
  /** Empties every collection (the embedded `reset()`). */
  clear(): void;
  /** Makes sure everything acknowledged is stored, then releases files and connections. */
  close(): void | Promise<void>;
  /** True when other hub processes share this store (Redis); false for the memory and durable stores. */
  readonly replicated: boolean;
  /**
   * Runs `fn`, whose reads and writes are synchronous, as one unit. On a replicated store its writes
   * commit together, and if another process changed a key it wrote since it was read, `fn` runs again on
   * the newer state; the result is then a promise. The embedded stores just call `fn`.
   */
  transaction<R>(fn: () => R): R | Promise<R>;
  /** Resolves once every write made so far is committed; undefined when there is nothing to wait for. */
  settled(): Promise<void> | undefined;
  /** Resolves once this process has applied every write acknowledged anywhere before the call; undefined when there is nothing to wait for. */
  fence(): Promise<void> | undefined;
  /** Runs `fn` once the unit running now is committed, never if it is refused; at once outside a unit. */
  afterCommit(fn: () => void): void;
  /** Attaches a note to the write of `key` just made in this unit: other processes receive it with the write. */
  note(collection: CollectionName, key: string, note: unknown): void;
  /** Listens to writes other processes made, after they are applied here. */
  onRemote(listener: (write: RemoteWrite) => void): void;
  /** Listens to another process emptying the store (a cluster-wide reset). */
  onRemoteClear(listener: () => void): void;
}

/** What the stores that belong to one process (memory, durable) answer to the cluster-facing part of `Store`. */
export abstract class EmbeddedStore {
  readonly replicated = false;

  transaction<R>(fn: () => R): R {
    return fn();
  }

  settled(): undefined {
    return undefined;
  }

  fence(): undefined {
    return undefined;
  }

  note(): void {}

  afterCommit(fn: () => void): void {
    fn();
  }

  onRemote(): void {}

  onRemoteClear(): void {}
}
