import { Fifo } from './fifo.js';

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
  private readonly entries = new Fifo<Entry<T>>();
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
      this.heldBytes -= this.entries.shift()?.bytes ?? 0;
      this.droppedCount += 1;
    }
  }

  /** Oldest first. */
  toArray(): T[] {
    const items: T[] = [];
    for (let i = 0; i < this.entries.size; i++) {
      const entry = this.entries.at(i);
      if (entry !== undefined) items.push(entry.item);
    }
    return items;
  }

  get size(): number {
    return this.entries.size;
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
    this.entries.clear();
    this.heldBytes = 0;
    this.droppedCount = 0;
  }
}
