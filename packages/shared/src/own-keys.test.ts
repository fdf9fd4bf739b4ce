import { describe, expect, it } from 'vitest';
import { getOwn, isReservedKey, setOwn } from './own-keys.js';

describe('own keys', () => {
  it('stores __proto__ as an own property and leaves the prototype alone', () => {
    const obj: Record<string, unknown> = {};
    setOwn(obj, '__proto__', { polluted: true });
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    expect(Object.keys(obj)).toEqual(['__proto__']);
    expect(JSON.stringify(obj)).toBe('{"__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads only own properties, never an inherited member', () => {
    const obj: Record<string, unknown> = { a: 1 };
    expect(getOwn(obj, 'a')).toBe(1);
    expect(getOwn(obj, 'constructor')).toBeUndefined();
    expect(getOwn(obj, '__proto__')).toBeUndefined();
    expect(getOwn(obj, 'toString')).toBeUndefined();
  });

  it('names __proto__, constructor and prototype as reserved and nothing else', () => {
    expect(['__proto__', 'constructor', 'prototype'].every(isReservedKey)).toBe(true);
    expect(['proto', '__proto', 'Constructor', 'toString', 'hasOwnProperty'].some(isReservedKey)).toBe(false);
  });
});
