/** A binary min-heap of timers ordered by due time, then by insertion order (so equal times run FIFO). */

export interface HeapTimer {
  at: number;
  seq: number;
  callback: (() => void) | undefined;
}

export class TimerHeap {
  private readonly items: HeapTimer[] = [];
  private seq = 0;
  private live = 0;

  /** Timers not yet run or cancelled. */
  get size(): number {
    return this.live;
  }

  push(at: number, callback: () => void): HeapTimer {
    const timer: HeapTimer = { at, seq: this.seq++, callback };
    this.items.push(timer);
    this.up(this.items.length - 1);
    this.live++;
    return timer;
  }

  cancel(timer: HeapTimer): void {
    if (timer.callback === undefined) return;
    timer.callback = undefined;
    this.live--;
  }

  /** Due time of the earliest live timer, or undefined when none. */
  peekTime(): number | undefined {
    this.dropCancelled();
    return this.items[0]?.at;
  }

  /** Removes and returns the earliest live timer's callback if it is due at `now`. */
  popDue(now: number): { at: number; callback: () => void } | undefined {
    this.dropCancelled();
    const top = this.items[0];
    if (!top || top.at > now) return undefined;
    this.removeTop();
    const callback = top.callback as () => void;
    top.callback = undefined;
    this.live--;
    return { at: top.at, callback };
  }

  private dropCancelled(): void {
    while (this.items.length > 0 && (this.items[0] as HeapTimer).callback === undefined) this.removeTop();
  }

  private removeTop(): void {
    const last = this.items.pop() as HeapTimer;
    if (this.items.length === 0) return;
    this.items[0] = last;
    this.down(0);
  }

  private less(a: number, b: number): boolean {
    const x = this.items[a] as HeapTimer;
    const y = this.items[b] as HeapTimer;
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }

  private swap(a: number, b: number): void {
    const tmp = this.items[a] as HeapTimer;
    this.items[a] = this.items[b] as HeapTimer;
    this.items[b] = tmp;
  }

  private up(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(index: number): void {
    let i = index;
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < n && this.less(l, smallest)) smallest = l;
      if (r < n && this.less(r, smallest)) smallest = r;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }
}
