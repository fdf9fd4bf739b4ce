import { describe, expect, it } from 'vitest';
import { compileCondition, compileValue } from './compile-expression.js';
import { parseCondition } from './parser.js';

/** Section 5.2 of the reference: a condition holds only when it is Boolean true. */
const holds = (condition: string, doc: object, loose = false): boolean => compileCondition(parseCondition(condition, { loose }))(doc);

const twin = {
  deviceId: 'd1',
  tags: { region: 'US', floor: 3, flag: true, nothing: null, list: [1, 2], nested: { a: 1 } },
  properties: { desired: { $version: 2 }, reported: { $version: 5, temp: 21.5, mode: 'eco' } },
};

describe('undefined and type semantics of conditions', () => {
  it('a comparison with a missing property is false for = and != alike', () => {
    expect(holds("tags.missing = 'US'", twin)).toBe(false);
    expect(holds("tags.missing != 'US'", twin)).toBe(false);
    expect(holds("tags.missing <> 'US'", twin)).toBe(false);
    expect(holds('tags.missing < 5', twin)).toBe(false);
    expect(holds('tags.missing >= 5', twin)).toBe(false);
  });

  it('NOT of a comparison with a missing property is still not true', () => {
    expect(holds("NOT (tags.missing = 'US')", twin)).toBe(false);
    expect(holds("NOT (tags.missing != 'US')", twin)).toBe(false);
  });

  it('comparisons between different types are neither true nor false', () => {
    expect(holds("tags.floor = '3'", twin)).toBe(false);
    expect(holds("tags.floor != '3'", twin)).toBe(false);
    expect(holds("NOT (tags.floor = '3')", twin)).toBe(false);
    expect(holds('tags.flag = 1', twin)).toBe(false);
    expect(holds("tags.region != null", twin)).toBe(false);
  });

  it('null equals null and nothing else', () => {
    expect(holds('tags.nothing = null', twin)).toBe(true);
    expect(holds('tags.nothing != null', twin)).toBe(false);
    expect(holds('tags.nothing <= null', twin)).toBe(true);
    expect(holds('tags.nothing < null', twin)).toBe(false);
    expect(holds("tags.nothing = 'null'", twin)).toBe(false);
  });

  it('objects and arrays are never compared, not even with themselves', () => {
    expect(holds('tags.nested = tags.nested', twin)).toBe(false);
    expect(holds('tags.nested != tags.nested', twin)).toBe(false);
    expect(holds('tags.list = [1, 2]', twin)).toBe(false);
    expect(holds('tags.list != [1, 2]', twin)).toBe(false);
  });

  it('primitives compare with primitives of the same type, strings by code units', () => {
    expect(holds("tags.region = 'US'", twin)).toBe(true);
    expect(holds("tags.region != 'us'", twin)).toBe(true);
    expect(holds("tags.region < 'a'", twin)).toBe(true);
    expect(holds('tags.floor >= 3 AND tags.floor <= 3', twin)).toBe(true);
    expect(holds('tags.flag > false', twin)).toBe(true);
  });

  it('only Boolean true selects: strings, numbers, null, objects and false do not', () => {
    expect(holds("'true'", twin)).toBe(false);
    expect(holds('1', twin)).toBe(false);
    expect(holds('null', twin)).toBe(false);
    expect(holds('tags.nested', twin)).toBe(false);
    expect(holds('tags.region', twin)).toBe(false);
    expect(holds('tags.flag', twin)).toBe(true);
    expect(holds('true', twin)).toBe(true);
    expect(holds('undefined', twin)).toBe(false);
  });

  it('AND and OR are three-valued: false and true win over undefined', () => {
    expect(holds("tags.missing = 1 OR tags.region = 'US'", twin)).toBe(true);
    expect(holds("tags.missing = 1 AND tags.region = 'US'", twin)).toBe(false);
    expect(holds('NOT (tags.missing = 1 AND false)', twin)).toBe(true);
    expect(holds('NOT (tags.missing = 1 OR false)', twin)).toBe(false);
    expect(holds('NOT (tags.missing = 1 OR true)', twin)).toBe(false);
    expect(holds("NOT ('x' AND true)", twin)).toBe(false);
  });

  it('IN and NIN are false for a missing property', () => {
    expect(holds("tags.missing IN ['US']", twin)).toBe(false);
    expect(holds("tags.missing NIN ['US']", twin)).toBe(false);
    expect(holds("NOT (tags.missing IN ['US'])", twin)).toBe(false);
  });

  it('NIN is true only when every item has the value type and differs from it', () => {
    expect(holds("tags.region NIN ['EU', 'APAC']", twin)).toBe(true);
    expect(holds("tags.region NIN ['EU', 3]", twin)).toBe(false);
    expect(holds('tags.region NIN []', twin)).toBe(true);
    expect(holds("tags.region IN ['EU', 3, 'US']", twin)).toBe(true);
    expect(holds("NOT (tags.region IN ['EU', 'APAC'])", twin)).toBe(true);
  });

  it('NIN used as a value is the negation of IN, and undefined stays undefined', () => {
    expect(holds("(tags.region NIN ['EU']) = true", twin)).toBe(true);
    expect(holds("(tags.region NIN ['US']) = false", twin)).toBe(true);
    expect(holds("(tags.region NIN ['US']) = true", twin)).toBe(false);
    expect(holds("(tags.region NIN ['US']) != (tags.region IN ['US'])", twin)).toBe(true);
    expect(holds("(tags.floor NIN [1, 2]) = (tags.floor IN [3])", twin)).toBe(true);
    expect(holds("IS_BOOL(tags.region NIN ['US'])", twin)).toBe(true);
    expect(holds("NOT ((tags.region NIN ['EU']) = false)", twin)).toBe(true);
    // Undefined operands and mixed-type lists give undefined, which is neither true nor false.
    expect(holds("IS_BOOL(tags.missing NIN ['US'])", twin)).toBe(false);
    expect(holds("IS_DEFINED(tags.missing NIN ['US'])", twin)).toBe(false);
    expect(holds("(tags.missing NIN ['US']) = true", twin)).toBe(false);
    expect(holds("(tags.missing NIN ['US']) = false", twin)).toBe(false);
    expect(holds("IS_BOOL(tags.region NIN ['EU', 3])", twin)).toBe(false);
    expect(holds("IS_BOOL(tags.nested NIN ['EU'])", twin)).toBe(false);
    expect(holds("(tags.region NIN [['US']]) = false", twin)).toBe(false);
  });

  it('NIN as a projected value (loose mode): true, false or left undefined', () => {
    const value = (condition: string, doc: object): unknown => {
      const ast = parseCondition(condition, { loose: true });
      return ast.where === undefined ? undefined : compileValue(ast.where)(doc);
    };
    expect(value("tags.region NIN ['US']", twin)).toBe(false);
    expect(value("tags.region NIN ['EU']", twin)).toBe(true);
    expect(value("tags.region NOT IN ['EU']", twin)).toBe(true);
    expect(value("tags.missing NIN ['US']", twin)).toBeUndefined();
    expect(value("tags.region NIN ['EU', 3]", twin)).toBeUndefined();
    expect(value("tags.region IN ['US']", twin)).toBe(true);
    expect(value("tags.region IN ['EU']", twin)).toBe(false);
  });

  it('IS_DEFINED is true for null and false only for missing properties', () => {
    expect(holds('IS_DEFINED(tags.nothing)', twin)).toBe(true);
    expect(holds('IS_DEFINED(tags.missing)', twin)).toBe(false);
    expect(holds('NOT IS_DEFINED(tags.missing)', twin)).toBe(true);
    expect(holds('IS_DEFINED(tags.region.length)', twin)).toBe(false);
  });

  it('arithmetic on non-numbers and division by zero give undefined', () => {
    expect(holds("tags.region + 1 = 1", twin)).toBe(false);
    expect(holds("tags.region + 1 != 1", twin)).toBe(false);
    expect(holds('tags.floor / 0 = tags.floor / 0', twin)).toBe(false);
    expect(holds('tags.floor * 2 - 1 = 5', twin)).toBe(true);
    expect(holds('0 - tags.floor = -3', twin)).toBe(true);
    expect(holds('-tags.floor = -3', twin, true)).toBe(true);
    expect(holds("-tags.region = -3 OR -tags.region != -3", twin, true)).toBe(false);
  });

  it('paths read plain objects only: not string lengths, array methods or prototype members', () => {
    expect(holds('IS_DEFINED(deviceId.length)', twin)).toBe(false);
    expect(holds('IS_DEFINED(tags.list.length)', twin)).toBe(false);
    expect(holds('IS_DEFINED(tags.list.map)', twin)).toBe(false);
    expect(holds('IS_DEFINED(tags.constructor)', twin)).toBe(false);
    expect(holds('IS_DEFINED(tags.[[__proto__]])', twin)).toBe(false);
    expect(holds('IS_DEFINED(tags.[[0]])', twin)).toBe(false);
  });

  it('functions give undefined on arguments of the wrong type, which does not select', () => {
    expect(holds("STARTSWITH(tags.floor, '3')", twin)).toBe(false);
    expect(holds("NOT STARTSWITH(tags.floor, '3')", twin)).toBe(false);
    expect(holds('LENGTH(tags.floor) = 1', twin)).toBe(false);
    expect(holds("AS_NUMBER('abc') = 0", twin)).toBe(false);
    expect(holds("AS_NUMBER('42') = 42", twin)).toBe(true);
  });

  it('works on message-like documents, as routing conditions do', () => {
    const message = { messageType: 'alerts', severity: '2' };
    expect(holds("messageType = 'alerts' AND as_number(severity) <= 2", message)).toBe(true);
    expect(holds("messageType = 'telemetry'", message)).toBe(false);
  });
});
