/**
 * A first-in, first-out array whose front is dropped in O(1): a removed slot is cleared at once (its
 * item can be collected) and the array is compacted once cleared slots are half of it, so memory
 * follows what is held. The bounded buffers (the traffic record, the event log's partitions) keep their
 * items in one.
 */
export class Fifo<T> {
  private items: Array<T | undefined> = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The item at `index`, 0 being the oldest; undefined outside the held range. */
  at(index: number): T | undefined {
    return index < 0 ? undefined : this.items[this.head + index];
  }

  /** Removes the oldest item and returns it; undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 64 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
