import { describe, expect, it } from 'vitest';
import { HubError } from './errors.js';
import type { JsonObject, JsonValue } from './json.js';
import { jsonSize, LIMITS, validateSectionSize, validateTwinValue, type TwinSectionName } from './limits.js';
import { applyTwinWrite, newTwinState, patchSection, patchTags, replaceSection, replaceTags } from './twin-rules.js';
import { hubErrorOf } from './hub-error.fixtures.js';

const PATCH = { allowNull: true } as const;
const DOCUMENT = { allowNull: false } as const;

function refusalOf(doc: unknown, section: TwinSectionName = 'desired', options: { allowNull: boolean; rejectArrays?: boolean } = PATCH): HubError {
  return hubErrorOf(() => validateTwinValue(section, doc, options));
}

/** `{ one: { two: ... { [last]: { property: 'value' } } } }`: one object per name, then a leaf. */
function nest(names: readonly string[]): JsonObject {
  let value: JsonValue = { property: 'value' };
  for (const name of [...names].reverse()) value = { [name]: value };
  return value;
}

const TEN = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'] as const;

describe('the limits table', () => {
  it('states the documented twin limits', () => {
    expect(LIMITS.tagsBytes).toBe(8192);
    expect(LIMITS.desiredBytes).toBe(32768);
    expect(LIMITS.reportedBytes).toBe(32768);
    expect(LIMITS.propertyBytes).toBe(4096);
    expect(LIMITS.stringBytes).toBe(4096);
    expect(LIMITS.keyBytes).toBe(1024);
    expect(LIMITS.maxDepth).toBe(10);
    expect(LIMITS.maxInteger).toBe(4503599627370495);
    expect(LIMITS.minInteger).toBe(-4503599627370496);
  });
});

describe('refusals', () => {
  it('are HubErrors with code ArgumentInvalid, 400004 and HTTP 400', () => {
    const error = refusalOf({ 'a.b': 1 });
    expect(error).toBeInstanceOf(HubError);
    expect(error.errorCode).toBe('ArgumentInvalid');
    expect(error.code).toBe(400004);
    expect(error.status).toBe(400);
  });

  it('name the section they apply to', () => {
    expect(refusalOf({ 'a.b': 1 }, 'tags').message).toMatch(/^Invalid tags: /);
    expect(refusalOf({ 'a.b': 1 }, 'desired').message).toMatch(/^Invalid desired properties: /);
    expect(refusalOf({ 'a.b': 1 }, 'reported').message).toMatch(/^Invalid reported properties: /);
  });

  it('are given for a document that is not a JSON object', () => {
    for (const doc of [null, undefined, [], [{ a: 1 }], 'text', 42, true]) {
      expect(refusalOf(doc).message).toContain('must be a JSON object');
    }
  });
});

describe('depth', () => {
  it('accepts the documented valid example: objects one to ten nested in tags, then a leaf', () => {
    expect(() => validateTwinValue('tags', nest(TEN), DOCUMENT)).not.toThrow();
  });

  it('accepts ten levels in desired and reported too', () => {
    expect(() => validateTwinValue('desired', nest(TEN), PATCH)).not.toThrow();
    expect(() => validateTwinValue('reported', nest(TEN), PATCH)).not.toThrow();
  });

  it('refuses an eleventh level and names the maximum depth', () => {
    for (const section of ['tags', 'desired', 'reported'] as const) {
      const error = refusalOf(nest([...TEN, 'eleven']), section);
      expect(error.message).toContain('maximum depth of 10');
      expect(error.message).toContain('one.two.three.four.five.six.seven.eight.nine.ten.eleven');
    }
  });

  it('does not count a scalar leaf as a level', () => {
    let value: JsonObject = { leaf: 1 };
    for (const name of [...TEN].reverse()) value = { [name]: value };
    expect(() => validateTwinValue('desired', value, PATCH)).not.toThrow();
  });

  it('counts arrays as levels, nested in one another or holding objects', () => {
    const arrays = (levels: number): JsonValue => JSON.parse(`${'['.repeat(levels)}1${']'.repeat(levels)}`) as JsonValue;
    expect(() => validateTwinValue('tags', { a: arrays(10) }, DOCUMENT)).not.toThrow();
    expect(() => validateTwinValue('tags', { a: { b: arrays(9) } }, DOCUMENT)).not.toThrow();
    for (const doc of [{ a: arrays(11) }, { a: arrays(20) }, { a: { b: arrays(10) } }, { a: [nest(TEN.slice(1))] }]) {
      expect(refusalOf(doc, 'tags').message).toContain('maximum depth of 10');
    }
    expect(refusalOf({ a: arrays(11) }).message).toContain("'a[0][0][0][0][0][0][0][0][0][0]'");
  });

  it('refuses pathological nesting (thousands of arrays) with a HubError, never a stack overflow, on every write', () => {
    const deep = JSON.parse(`{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`) as JsonObject;
    const state = newTwinState(0);
    const writes: Array<() => unknown> = [
      () => validateTwinValue('tags', deep, DOCUMENT),
      () => patchSection('desired', state.desired, deep, { nowMs: 1 }),
      () => replaceSection('reported', state.reported, deep, { nowMs: 1 }),
      () => patchTags(state.tags, deep, { nowMs: 1 }),
      () => replaceTags(deep, { nowMs: 1 }),
      () => applyTwinWrite(state, { desired: { replace: deep } }, { nowMs: 1 }),
    ];
    for (const write of writes) expect(hubErrorOf(write).message).toContain('maximum depth of 10');
  });

  it('counts objects inside arrays as levels', () => {
    const inArray: JsonObject = { list: [nest([...TEN.slice(1), 'eleven'])] };
    expect(refusalOf(inArray).message).toContain('maximum depth of 10');
  });

  it('is enforced on patches applied to a twin section', () => {
    const section = newTwinState(0).desired;
    expect(patchSection('desired', section, nest(TEN), { nowMs: 1 }).version).toBe(2);
    expect(() => patchSection('desired', section, nest([...TEN, 'eleven']), { nowMs: 1 })).toThrow(/maximum depth of 10/);
  });
});

describe('property names', () => {
  it.each([
    ['a dot', 'a.b'],
    ['a dollar sign', '$version'],
    ['a dollar sign inside', 'a$b'],
    ['a space', 'a b'],
    ['a NUL', 'a\u0000b'],
    ['a C0 control character', 'a\u001fb'],
    ['a tab', 'a\tb'],
    ['DEL', 'a\u007fb'],
    ['a C1 control character', 'a\u0085b'],
    ['the last C1 control character', 'a\u009fb'],
  ])('refuses a key with %s and says which characters are forbidden', (_what, key) => {
    const error = refusalOf({ [key]: 1 });
    expect(error.message).toContain("contains '.', '$', a space or a control character");
  });

  it('refuses a forbidden key at any depth and names its path', () => {
    const error = refusalOf({ outer: { inner: { 'bad key': 1 } } });
    expect(error.message).toContain("'outer.inner.bad key'");
  });

  it('refuses forbidden keys inside objects in arrays', () => {
    expect(refusalOf({ list: [{ 'a.b': 1 }] }).message).toContain("contains '.'");
  });

  it('refuses an empty key', () => {
    expect(refusalOf({ '': 1 }).message).toContain('empty property name');
  });

  it('accepts keys of up to 1 KB, counted in UTF-8 bytes, and refuses longer ones naming the limit', () => {
    expect(() => validateTwinValue('desired', { ['k'.repeat(1024)]: 1 }, PATCH)).not.toThrow();
    expect(() => validateTwinValue('desired', { ['é'.repeat(512)]: 1 }, PATCH)).not.toThrow();
    expect(refusalOf({ ['k'.repeat(1025)]: 1 }).message).toContain('longer than 1024 bytes');
    expect(refusalOf({ ['é'.repeat(513)]: 1 }).message).toContain('longer than 1024 bytes');
  });

  it('accepts non-ASCII, dashes, underscores, colons and other printable characters', () => {
    expect(() => validateTwinValue('desired', { température: 1, 'a-b_c:d': 2, 'x@y#z': 3, '日本': 4 }, PATCH)).not.toThrow();
  });
});

describe('values', () => {
  it('accepts booleans, strings, numbers, objects and null in a patch', () => {
    expect(() => validateTwinValue('desired', { b: true, s: 'x', n: 1.5, i: -3, o: { x: 1 }, gone: null }, PATCH)).not.toThrow();
  });

  it('refuses null in a whole document, where it cannot mean deletion', () => {
    expect(refusalOf({ a: { b: null } }, 'desired', DOCUMENT).message).toContain("'a.b' is null");
  });

  it('accepts null as an array element even in a whole document', () => {
    expect(() => validateTwinValue('desired', { list: [null, 1] }, DOCUMENT)).not.toThrow();
  });

  it('accepts integers from -4503599627370496 to 4503599627370495', () => {
    expect(() => validateTwinValue('desired', { max: 4503599627370495, min: -4503599627370496, zero: 0 }, PATCH)).not.toThrow();
  });

  it('refuses integers just outside the range and names the range', () => {
    for (const value of [4503599627370496, -4503599627370497, Number.MAX_SAFE_INTEGER]) {
      const error = refusalOf({ big: value });
      expect(error.message).toContain('outside the range -4503599627370496 to 4503599627370495');
    }
  });

  it('checks integers inside arrays', () => {
    expect(refusalOf({ list: [1, 4503599627370496] }).message).toContain('outside the range');
  });

  it('refuses a huge number such as 1e300 as a number outside the range, not as an integer', () => {
    for (const value of [1e300, -1e300, 4.6e15]) {
      const error = refusalOf({ huge: value });
      expect(error.message).toContain(`the number ${value} of 'huge' is outside the range -4503599627370496 to 4503599627370495`);
      expect(error.message).not.toContain('integer');
    }
  });

  it('accepts non-integer numbers of any magnitude below the integer range', () => {
    expect(() => validateTwinValue('desired', { pi: 3.14159, tiny: 1e-300, negative: -0.5 }, PATCH)).not.toThrow();
  });

  it('refuses numbers that are not finite', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(refusalOf({ n: value }).message).toContain('not a finite number');
    }
  });

  it('accepts strings of up to 4 KB, counted in UTF-8 bytes, and refuses longer ones naming the limit', () => {
    expect(() => validateTwinValue('desired', { s: 'x'.repeat(4096) }, PATCH)).not.toThrow();
    expect(() => validateTwinValue('desired', { s: 'é'.repeat(2048) }, PATCH)).not.toThrow();
    expect(refusalOf({ s: 'x'.repeat(4097) }).message).toContain('longer than 4096 bytes');
    expect(refusalOf({ s: 'é'.repeat(2049) }).message).toContain('longer than 4096 bytes');
    expect(refusalOf({ list: ['x'.repeat(4097)] }).message).toContain('longer than 4096 bytes');
  });
});

describe('arrays', () => {
  it('are accepted by default, including arrays of objects and nested arrays', () => {
    expect(() => validateTwinValue('reported', { DeviceError: ['Power Failure', 'Sensor Failure'], m: [[1, 2], [{ a: 1 }]] }, PATCH)).not.toThrow();
  });

  it('are refused with rejectArrays, at any depth, naming the rule', () => {
    const options = { allowNull: true, rejectArrays: true };
    expect(refusalOf({ list: [1] }, 'desired', options).message).toContain("'list' is an array, and arrays are not supported");
    expect(refusalOf({ a: { b: [] } }, 'tags', options).message).toContain("'a.b' is an array");
  });
});

describe('sizes', () => {
  it('count key lengths plus values: strings by length, numbers 8, booleans 4, null 0, objects recursively', () => {
    expect(jsonSize('abc')).toBe(3);
    expect(jsonSize(12345)).toBe(8);
    expect(jsonSize(true)).toBe(4);
    expect(jsonSize(null)).toBe(0);
    expect(jsonSize({ ab: 'xyz', n: 1, b: true, o: { k: 'v' } })).toBe(2 + 3 + 1 + 8 + 1 + 4 + 1 + (1 + 1));
    expect(jsonSize([1, 'ab', false])).toBe(8 + 2 + 4);
  });

  it('allow a property of exactly 4 KB and refuse one over it, naming the limit', () => {
    expect(() => validateSectionSize('desired', { a: 'x'.repeat(4095) })).not.toThrow();
    const error = hubErrorOf(() => validateSectionSize('desired', { p: { a: 'x'.repeat(2100), b: 'x'.repeat(2100) } }));
    expect(error.errorCode).toBe('ArgumentInvalid');
    expect(error.message).toContain("the property 'p' is 4203 bytes, and each property is limited to 4096 bytes");
  });

  it('allow tags of exactly 8 KB and refuse more, naming the limit', () => {
    const full = { a: 'x'.repeat(4095), b: 'x'.repeat(4095) };
    expect(() => validateSectionSize('tags', full)).not.toThrow();
    const error = hubErrorOf(() => validateSectionSize('tags', { ...full, c: true }));
    expect(error.message).toContain('the limit is 8192 bytes');
  });

  it('allow desired and reported up to 32 KB and refuse more, naming the limit', () => {
    const doc: JsonObject = {};
    for (let i = 0; i < 8; i++) doc[`p${i}`] = 'x'.repeat(4094); // 8 × (2 + 4094) = 32768
    expect(() => validateSectionSize('desired', doc)).not.toThrow();
    expect(() => validateSectionSize('reported', doc)).not.toThrow();
    for (const section of ['desired', 'reported'] as const) {
      const error = hubErrorOf(() => validateSectionSize(section, { ...doc, z: 1 }));
      expect(error.message).toContain('the limit is 32768 bytes');
    }
  });

  it('let a section hold more than the tags limit when it is desired or reported', () => {
    const doc = { a: 'x'.repeat(4000), b: 'x'.repeat(4000), c: 'x'.repeat(4000) };
    expect(() => validateSectionSize('desired', doc)).not.toThrow();
    expect(() => validateSectionSize('tags', doc)).toThrow(/8192/);
  });
});
