import { describe, expect, it } from 'vitest';
import { cloneJson, nestsDeeperThan, type JsonObject } from './json.js';

const arrays = (levels: number): unknown => JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`);

describe('nestsDeeperThan', () => {
  it('counts each object and array as one level and scalars as none', () => {
    expect(nestsDeeperThan(null, 0)).toBe(false);
    expect(nestsDeeperThan('text', 0)).toBe(false);
    expect(nestsDeeperThan({}, 0)).toBe(true);
    expect(nestsDeeperThan({}, 1)).toBe(false);
    expect(nestsDeeperThan({ a: [{ b: 1 }] }, 3)).toBe(false);
    expect(nestsDeeperThan({ a: [{ b: [] }] }, 3)).toBe(true);
  });

  it('finds the deepest branch wherever it is', () => {
    expect(nestsDeeperThan([1, { a: 1 }, [[[[]]]]], 4)).toBe(true);
    expect(nestsDeeperThan([1, { a: 1 }, [[[[]]]]], 5)).toBe(false);
  });

  it('handles nesting far deeper than the call stack allows', () => {
    expect(nestsDeeperThan(arrays(100_000), 64)).toBe(true);
    expect(nestsDeeperThan(arrays(100_000), 100_000)).toBe(false);
  });
});

describe('cloneJson', () => {
  it('copies a __proto__ key as an own property, not as the copy\'s prototype', () => {
    const source = JSON.parse('{"__proto__":{"isAdmin":true},"a":{"__proto__":1}}') as JsonObject;
    const copy = cloneJson(source);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(copy.isAdmin).toBeUndefined();
    expect(JSON.stringify(copy)).toBe(JSON.stringify(source));
  });
});
