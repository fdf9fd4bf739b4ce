import { describe, expect, it } from 'vitest';
import { contentLeaves } from './content-leaves.js';
import { jsonEqual, planTwinPatch } from './plan-twin-patch.js';
import { resolveContent } from './resolve-content.js';

const effective = (...contents: Array<Record<string, unknown>>) =>
  resolveContent(contents.map((content, i) => ({ id: `c${i}`, leaves: contentLeaves(content as never) }))).leaves.values();
const before = (leaves: string[], roots: string[] = []) => ({ leaves, roots });

describe('the desired patch a configuration needs', () => {
  it('sets what differs and nothing else', () => {
    const patch = planTwinPatch({ fw: '1.0', other: 1, $version: 4 }, effective({ 'properties.desired.fw': '2.0', 'properties.desired.mode': { a: 1 } }));
    expect(patch).toEqual({ fw: '2.0', mode: { a: 1 } });
  });

  it('is undefined when the twin already holds the values (the twin is not rewritten)', () => {
    expect(planTwinPatch({ fw: '2.0', mode: { a: 1, b: 2 } }, effective({ 'properties.desired.fw': '2.0', 'properties.desired.mode.a': 1 }), before(['fw', 'mode.a'], ['fw', 'mode.a']))).toBeUndefined();
  });

  it('removes a property set to null only when the twin has it', () => {
    expect(planTwinPatch({ old: 1 }, effective({ 'properties.desired.old': null }))).toEqual({ old: null });
    expect(planTwinPatch({}, effective({ 'properties.desired.old': null }))).toBeUndefined();
  });

  it('removes a whole content key that no configuration sets any more', () => {
    const patch = planTwinPatch({ 'chiller-water': { temperature: 66, pressure: 28 }, mine: 3 }, effective(), before(['chiller-water.temperature', 'chiller-water.pressure'], ['chiller-water']));
    expect(patch).toEqual({ 'chiller-water': null });
  });

  it('removes leaf by leaf inside a content key another configuration still sets part of', () => {
    const patch = planTwinPatch(
      { 'chiller-water': { temperature: 70, pressure: 28 } },
      effective({ 'properties.desired.chiller-water.temperature': 70 }),
      before(['chiller-water.temperature', 'chiller-water.pressure'], ['chiller-water', 'chiller-water.temperature']),
    );
    expect(patch).toEqual({ 'chiller-water': { pressure: null } });
  });

  it('does not remove a property another leaf now covers', () => {
    expect(planTwinPatch({ mode: { a: 1 } }, effective({ 'properties.desired.mode': 'simple' }), before(['mode.a'], ['mode']))).toEqual({ mode: 'simple' });
  });

  it('compares JSON deeply without regard to key order', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual([1], { 0: 1 })).toBe(false);
  });
});
