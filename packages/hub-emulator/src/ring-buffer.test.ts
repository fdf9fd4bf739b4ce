import { describe, expect, it } from 'vitest';
import { RingBuffer } from './ring-buffer.js';

const sized = (capacity: number, maxBytes?: number) => new RingBuffer<string>({ capacity, maxBytes, sizeOf: (s) => s.length });

describe('RingBuffer', () => {
  it('keeps the newest items up to its capacity, oldest first', () => {
    const buffer = new RingBuffer<number>(3);
    for (let i = 1; i <= 5; i++) buffer.push(i);
    expect(buffer.toArray()).toEqual([3, 4, 5]);
    expect(buffer.size).toBe(3);
  });

  it('keeps nothing with a capacity of 0', () => {
    const buffer = sized(0, 100);
    buffer.push('abc');
    expect(buffer.toArray()).toEqual([]);
    expect(buffer.bytes).toBe(0);
  });

  it('drops the oldest items while the bytes held exceed maxBytes, whatever the count', () => {
    const buffer = sized(1000, 10);
    for (const item of ['aaaa', 'bbbb', 'cccc', 'dd']) buffer.push(item);
    expect(buffer.toArray()).toEqual(['bbbb', 'cccc', 'dd']);
    expect(buffer.bytes).toBe(10);
    buffer.push('eeeeeeeee');
    expect(buffer.toArray()).toEqual(['eeeeeeeee']);
    expect(buffer.bytes).toBe(9);
  });

  it('does not keep an item larger than maxBytes on its own, and keeps what it held', () => {
    const buffer = sized(10, 8);
    buffer.push('abc');
    buffer.push('x'.repeat(9));
    expect(buffer.toArray()).toEqual(['abc']);
    expect(buffer.bytes).toBe(3);
  });

  it('stays within both bounds over many pushes and forgets everything on clear', () => {
    const buffer = sized(50, 1000);
    for (let i = 0; i < 10_000; i++) {
      buffer.push('y'.repeat(i % 97));
      expect(buffer.size).toBeLessThanOrEqual(50);
      expect(buffer.bytes).toBeLessThanOrEqual(1000);
    }
    expect(buffer.toArray().at(-1)).toBe('y'.repeat(9_999 % 97));
    expect(buffer.bytes).toBe(buffer.toArray().reduce((sum, s) => sum + s.length, 0));
    buffer.clear();
    expect(buffer.toArray()).toEqual([]);
    expect(buffer.bytes).toBe(0);
  });

  it('counts what it dropped, evicted or too large on its own, until cleared', () => {
    const buffer = sized(2, 10);
    for (const item of ['a', 'b', 'c', 'way too large!']) buffer.push(item);
    expect(buffer.toArray()).toEqual(['b', 'c']);
    expect(buffer.dropped).toBe(2);
    buffer.clear();
    expect(buffer.dropped).toBe(0);
  });
});
