import { describe, expect, it } from 'vitest';
import { Fifo } from './fifo.js';

describe('Fifo', () => {
  it('gives items back oldest first, indexes them from the oldest, and is empty after the last shift', () => {
    const fifo = new Fifo<string>();
    fifo.push('a');
    fifo.push('b');
    fifo.push('c');
    expect([fifo.at(0), fifo.at(2), fifo.at(3), fifo.at(-1)]).toEqual(['a', 'c', undefined, undefined]);
    expect(fifo.shift()).toBe('a');
    expect(fifo.at(0)).toBe('b');
    expect([fifo.shift(), fifo.shift(), fifo.shift()]).toEqual(['b', 'c', undefined]);
    expect(fifo.size).toBe(0);
  });

  it('keeps order and size across the compactions of a long run of pushes and shifts', () => {
    const fifo = new Fifo<number>();
    let next = 0;
    for (let n = 0; n < 10_000; n++) {
      fifo.push(n);
      if (n % 3 !== 0) expect(fifo.shift()).toBe(next++);
    }
    expect(fifo.size).toBe(10_000 - next);
    expect(fifo.at(0)).toBe(next);
    expect(fifo.at(fifo.size - 1)).toBe(9_999);
    fifo.clear();
    expect([fifo.size, fifo.at(0)]).toEqual([0, undefined]);
  });
});
