import { Fifo } from '../fifo.js';
import type { HubEvent } from './event-hub-types.js';

/** One retained event and what it costs against the log's byte bound. */
export interface Retained {
  readonly event: HubEvent;
  readonly bytes: number;
  /** `event.offset` as a number, for searching. */
  readonly offset: number;
}

/**
 * One partition's retained events, oldest first, contiguous in sequence numbers: the one at index `i`
 * has sequence number `begin + i`.
 */
export class PartitionQueue {
  private readonly items = new Fifo<Retained>();
  /** The sequence number the next event gets. */
  nextSequenceNumber = 0;
  /** The offset the next event gets: the bytes appended to the partition before it, as Event Hubs counts offsets. */
  nextOffset = 0;
  /** The newest event appended, kept or not (what `$management` reports as last enqueued). */
  last: HubEvent | undefined;

  get size(): number {
    return this.items.size;
  }

  /** The sequence number of the oldest retained event, or the next one when none is retained. */
  get begin(): number {
    return this.nextSequenceNumber - this.size;
  }

  oldest(): Retained | undefined {
    return this.items.at(0);
  }

  push(item: Retained): void {
    this.items.push(item);
  }

  /** Drops the oldest retained event and returns it. */
  shift(): Retained | undefined {
    return this.items.shift();
  }

  /** The retained event at position `index` (0 = oldest). */
  at(index: number): Retained | undefined {
    return this.items.at(index);
  }

  /** The position of the first retained event for which `after` holds, or `size` when none does (`after` is monotone: false then true). */
  firstWhere(after: (item: Retained) => boolean): number {
    let low = 0;
    let high = this.size;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (after(this.items.at(mid) as Retained)) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  /** Drops every retained event; numbering goes on. */
  clear(): void {
    this.items.clear();
  }
}
