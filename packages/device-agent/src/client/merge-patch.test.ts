import { describe, expect, it } from 'vitest';
import type { JsonObject } from '@hubemu/shared';
import { applyMergePatch, getPath, patchAtPath, withoutVersion } from './merge-patch.js';

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
    expect(getPath(merged, '__proto__.polluted')).toBe(true);
    expect(getPath({}, 'constructor')).toBeUndefined();
    expect(getPath({}, '__proto__')).toBeUndefined();
  });

  it('leaves the target untouched and shares unchanged branches', () => {
    const target = { keep: { deep: 1 }, change: 1 };
    const result = applyMergePatch(target, { change: 2 });
    expect(target.change).toBe(1);
    expect(result.keep).toBe(target.keep);
  });
});

describe('path helpers', () => {
  it('reads and builds dotted paths', () => {
    expect(getPath({ a: { b: { c: 5 } } }, 'a.b.c')).toBe(5);
    expect(getPath({ a: 1 }, 'a.b')).toBeUndefined();
    expect(patchAtPath('iothubDM.reboot', { x: 1 })).toEqual({ iothubDM: { reboot: { x: 1 } } });
  });

  it('drops $version and $metadata', () => {
    expect(withoutVersion({ a: 1, $version: 3, $metadata: {} })).toEqual({ a: 1 });
  });
});
