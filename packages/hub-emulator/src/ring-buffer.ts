/** What a RingBuffer may hold: a count, and optionally bytes as `sizeOf` counts them. */
export interface RingBufferLimits<T> {
  /** Most items kept; 0 keeps none. */
  readonly capacity: number;
  /** Most bytes kept (the sum of `sizeOf` over the items); unbounded when absent. */
  readonly maxBytes?: number | undefined;
  readonly sizeOf?: ((item: T) => number) | undefined;
}

interface Entry<T> {
  readonly item: T;
  readonly bytes: number;
}

/**
 * A bounded FIFO: the newest items are kept, as many as fit both `capacity` and `maxBytes`. The oldest
 * go first; an item larger than `maxBytes` on its own is not kept (and evicts nothing).
 */
export class RingBuffer<T> {
  readonly capacity: number;
  readonly maxBytes: number;
  private readonly sizeOf: (item: T) => number;
  /** Evicted slots before `head` are undefined until the array is compacted. */
  private entries: Array<Entry<T> | undefined> = [];
  private head = 0;
  private heldBytes = 0;
  private droppedCount = 0;

  constructor(limits: number | RingBufferLimits<T>) {
    const { capacity, maxBytes, sizeOf } = typeof limits === 'number' ? { capacity: limits, maxBytes: undefined, sizeOf: undefined } : limits;
    this.capacity = capacity;
    this.maxBytes = maxBytes ?? Number.POSITIVE_INFINITY;
    this.sizeOf = sizeOf ?? (() => 0);
  }

  push(item: T): void {
    if (this.capacity <= 0) return;
    const bytes = this.sizeOf(item);
    if (bytes > this.maxBytes) {
      this.droppedCount += 1;
      return;
    }
    this.entries.push({ item, bytes });
    this.heldBytes += bytes;
    while (this.size > this.capacity || this.heldBytes > this.maxBytes) {
      this.heldBytes -= this.entries[this.head]?.bytes ?? 0;
      this.entries[this.head++] = undefined; // let the evicted item go now
      this.droppedCount += 1;
    }
    // Drop the evicted slots once they are half the array, so memory follows what is held.
    if (this.head > 64 && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /** Oldest first. */
  toArray(): T[] {
    const items: T[] = [];
    for (let i = this.head; i < this.entries.length; i++) {
      const entry = this.entries[i];
      if (entry !== undefined) items.push(entry.item);
    }
    return items;
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  /** Bytes held, as `sizeOf` counts them. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Items evicted or refused (larger than `maxBytes`) since the buffer was made or cleared. */
  get dropped(): number {
    return this.droppedCount;
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
    this.heldBytes = 0;
    this.droppedCount = 0;
  }
}
