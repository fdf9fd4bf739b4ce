import { describe, expect, it } from 'vitest';
import type { JsonObject } from './json.js';
import { applyMergePatch } from './merge-patch.js';

describe('applyMergePatch', () => {
  it('merges objects member by member and deletes keys set to null', () => {
    expect(applyMergePatch({ a: { x: 1, y: 2 }, b: 1 }, { a: { y: null, z: 3 }, b: null })).toEqual({ a: { x: 1, z: 3 } });
  });

  it('replaces arrays and primitives as whole values', () => {
    expect(applyMergePatch({ a: [1, 2], b: { c: 1 } }, { a: [3], b: 'x' })).toEqual({ a: [3], b: 'x' });
  });

  it('keeps __proto__, constructor and prototype from a hub as ordinary keys, never touching a prototype', () => {
    const patch = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"name":"x"},"prototype":1}') as JsonObject;
    const merged = applyMergePatch(applyMergePatch({}, patch), JSON.parse('{"__proto__":{"more":1}}') as JsonObject);
    expect(JSON.stringify(merged)).toBe('{"__proto__":{"polluted":true,"more":1},"constructor":{"name":"x"},"prototype":1}');
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(merged, '__proto__')?.value).toEqual({ polluted: true, more: 1 });
  });

  it('leaves the target untouched and shares unchanged branches', () => {
    const target = { keep: { deep: 1 }, change: 1 };
    const result = applyMergePatch(target, { change: 2 });
    expect(target.change).toBe(1);
    expect(result.keep).toBe(target.keep);
  });

  it('copies new values, so changing the patch later changes nothing merged', () => {
    const patch = { list: [1, 2], obj: { a: [3] } };
    const result = applyMergePatch({}, patch);
    patch.list.push(9);
    patch.obj.a.push(9);
    expect(result).toEqual({ list: [1, 2], obj: { a: [3] } });
  });

  it('does not store a null inside a new object', () => {
    expect(applyMergePatch({ a: 1 }, { a: { b: null, c: { d: null, e: 1 } } })).toEqual({ a: { c: { e: 1 } } });
  });
});
