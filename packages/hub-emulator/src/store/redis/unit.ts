import type { CollectionName } from '../collection.js';

/** One write of a unit: the value (undefined deletes) and what it was computed from. */
export interface UnitWrite {
  collection: CollectionName;
  key: string;
  /** The revision the writer read, or the unit of this process whose uncommitted value it read. */
  basis: number | Unit;
  value: unknown;
  note?: unknown;
}

/** A unit another process overtook: one of its keys changed since it was read. Never rendered: `transaction` runs it again. */
export class StaleUnit extends Error {
  constructor() {
    super('stale');
  }
}

/** Writes that commit together or not at all; `done` settles when Redis answered. */
export class Unit {
  readonly writes = new Map<string, UnitWrite>();
  /** What waits for the commit (events raised by the unit). */
  readonly afterCommit: Array<() => void> = [];
  /** Empties the store instead of writing. */
  clear = false;
  /** How many times the store was emptied before this unit was made: an answer from before an emptying says nothing about keys now. */
  constructor(readonly epoch: number) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A unit nobody awaits (an implicit write) must not be an unhandled rejection.
    this.done.catch(() => undefined);
  }

  /** The revision it committed as; 0 until answered, and when refused. */
  rev = 0;
  readonly done: Promise<void>;
  resolve!: () => void;
  reject!: (error: Error) => void;
}
