import { describe, expect, it } from 'vitest';
import { HubError } from '@hubemu/shared';
import { contentLeaves, overlaps, PathSet } from './content-leaves.js';

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof HubError ? error.errorCode : 'not a HubError';
  }
  return undefined;
}

describe('configuration content as leaves', () => {
  it('walks an object down to its values, below properties.desired', () => {
    const leaves = contentLeaves({ 'properties.desired.chiller-water': { temperature: 66, pressure: 28 }, 'properties.desired.fw.version': '1.2' });
    expect(leaves.map((l) => [l.key, l.value])).toEqual([
      ['chiller-water.temperature', 66],
      ['chiller-water.pressure', 28],
      ['fw.version', '1.2'],
    ]);
  });

  it('keeps null (remove the property), arrays and empty objects as leaves', () => {
    const leaves = contentLeaves({ 'properties.desired.a': null, 'properties.desired.b': [1, 2], 'properties.desired.c': {} });
    expect(leaves.map((l) => [l.key, l.value])).toEqual([
      ['a', null],
      ['b', [1, 2]],
      ['c', {}],
    ]);
  });

  it('accepts the whole section, properties.desired, as one content key per property it sets', () => {
    const whole = contentLeaves({ 'properties.desired': { fw: { version: '1.2' }, mode: 'eco', gone: null } });
    expect(whole.map((l) => [l.key, l.value, l.root])).toEqual([
      ['fw.version', '1.2', 'fw'],
      ['mode', 'eco', 'mode'],
      ['gone', null, 'gone'],
    ]);
    expect(contentLeaves({ 'properties.desired': {} })).toEqual([]);
  });

  it('refuses a whole section that is not an object, that repeats a key given below it, or that breaks the twin rules', () => {
    expect(codeOf(() => contentLeaves({ 'properties.desired': 5 }))).toBe('InvalidConfigurationContent');
    expect(codeOf(() => contentLeaves({ 'properties.desired': { fw: 1 }, 'properties.desired.fw': 2 }))).toBe('InvalidConfigurationContent');
    expect(codeOf(() => contentLeaves({ 'properties.desired': { fw: 1 }, 'properties.desired.fw.v': 2 }))).toBe('InvalidConfigurationContent');
    expect(codeOf(() => contentLeaves({ 'properties.desired': { 'a.b': 1 } }))).toBe('InvalidConfigurationContent');
    expect(codeOf(() => contentLeaves({ 'properties.desired': { $bad: 1 } }))).toBe('InvalidConfigurationContent');
  });

  it('refuses keys outside properties.desired with InvalidConfigurationContent', () => {
    expect(codeOf(() => contentLeaves({ 'tags.x': 1 }))).toBe('InvalidConfigurationContent');
    expect(codeOf(() => contentLeaves({ 'properties.desiredx.y': 1 }))).toBe('InvalidConfigurationContent');
    expect(codeOf(() => contentLeaves({ 'properties.reported.x': 1 }))).toBe('InvalidConfigurationContent');
  });

  it('refuses names the twin rules refuse and a path given inside another', () => {
    expect(codeOf(() => contentLeaves({ 'properties.desired.a': { $bad: 1 } }))).toBe('InvalidConfigurationContent');
    expect(codeOf(() => contentLeaves({ 'properties.desired.a': 1, 'properties.desired.a.b': 2 }))).toBe('InvalidConfigurationContent');
  });

  it('tells overlapping paths apart on segment boundaries only', () => {
    expect(overlaps('a', 'a')).toBe(true);
    expect(overlaps('a', 'a.b')).toBe(true);
    expect(overlaps('a.b.c', 'a')).toBe(true);
    expect(overlaps('ab', 'a')).toBe(false);
    const set = new PathSet();
    set.add('x.y');
    expect(set.overlaps('x')).toBe(true);
    expect(set.overlaps('x.y.z')).toBe(true);
    expect(set.overlaps('x.yz')).toBe(false);
  });
});
