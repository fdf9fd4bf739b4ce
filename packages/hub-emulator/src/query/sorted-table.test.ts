import { describe, expect, it } from 'vitest';
import { SortedTable, lowerBound, upperBound } from './sorted-table.js';

describe('SortedTable', () => {
  it('orders entries by key in UTF-16 code-unit order whatever the insertion order', () => {
    const table = SortedTable.from([
      ['b', 2],
      ['B', 0],
      ['a', 1],
    ] as const);
    expect(table.view().keys).toEqual(['B', 'a', 'b']);
    expect(table.view().values).toEqual([0, 1, 2]);
  });

  it('replaces existing keys in place and merges additions and removals on the next read', () => {
    const table = SortedTable.from<number>([
      ['a', 1],
      ['c', 3],
      ['e', 5],
    ]);
    table.set('c', 30);
    table.set('d', 4);
    table.set('b', 2);
    table.delete('e');
    table.delete('zz');
    expect(table.get('d')).toBe(4);
    expect(table.get('e')).toBeUndefined();
    expect(table.view()).toEqual({ keys: ['a', 'b', 'c', 'd'], values: [1, 2, 30, 4] });
    expect(table.size).toBe(4);
  });

  it('lets a key removed and added again before a read come back with its new value', () => {
    const table = SortedTable.from<number>([['a', 1]]);
    table.delete('a');
    table.set('a', 2);
    table.set('x', 9);
    table.delete('x');
    expect(table.view()).toEqual({ keys: ['a'], values: [2] });
  });

  it('keeps the last value of duplicate keys given to from()', () => {
    expect(SortedTable.from<number>([['a', 1], ['a', 2]]).view()).toEqual({ keys: ['a'], values: [2] });
  });

  it('finds bounds by binary search', () => {
    const keys = ['a', 'c', 'c', 'e'];
    expect(upperBound(keys, 'c')).toBe(3);
    expect(lowerBound(keys, 'c')).toBe(1);
    expect(upperBound(keys, 'b')).toBe(1);
    expect(upperBound(keys, 'z')).toBe(4);
    expect(lowerBound(keys, '')).toBe(0);
  });
});
