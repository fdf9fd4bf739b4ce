import { describe, expect, it } from 'vitest';
import { getPath, patchAtPath } from './json-path.js';

describe('path helpers', () => {
  it('reads and builds dotted paths', () => {
    expect(getPath({ a: { b: { c: 5 } } }, 'a.b.c')).toBe(5);
    expect(getPath({ a: 1 }, 'a.b')).toBeUndefined();
    expect(patchAtPath('iothubDM.reboot', { x: 1 })).toEqual({ iothubDM: { reboot: { x: 1 } } });
  });

  it('reads own properties only, never an inherited member', () => {
    expect(getPath({}, 'constructor')).toBeUndefined();
    expect(getPath({}, '__proto__')).toBeUndefined();
  });
});
