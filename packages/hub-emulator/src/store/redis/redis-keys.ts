import type { CollectionName } from '../collection.js';

/** The Redis keys of one hub (docs/scale-out.md, "What is in Redis"); the `{…}` hash tag keeps them in one Redis Cluster slot. */
export class RedisKeys {
  readonly prefix: string;
  /** The revision counter. */
  readonly rev: string;
  /** Hash of `<collection>\0<key>` to the revision that last wrote it. */
  readonly revs: string;
  /** The commit log, a stream. */
  readonly log: string;
  readonly collectionPrefix: string;

  constructor(namespace: string) {
    this.prefix = `hubemu:{${namespace}}:`;
    this.rev = `${this.prefix}rev`;
    this.revs = `${this.prefix}r`;
    this.log = `${this.prefix}log`;
    this.collectionPrefix = `${this.prefix}c:`;
  }

  /** The hash of one collection's values (JSON). */
  collection(name: CollectionName): string {
    return `${this.collectionPrefix}${name}`;
  }
}
