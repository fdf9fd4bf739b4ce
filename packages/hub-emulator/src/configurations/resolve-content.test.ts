import { describe, expect, it } from 'vitest';
import { contentLeaves } from './content-leaves.js';
import { resolveContent } from './resolve-content.js';

const config = (id: string, content: Record<string, unknown>) => ({ id, leaves: contentLeaves(content as never) });

describe('which configuration sets which property of a twin', () => {
  it('gives a property to the highest-precedence configuration; a configuration with nothing left is only Targeted', () => {
    const result = resolveContent([config('high', { 'properties.desired.fw': '2.0' }), config('low', { 'properties.desired.fw': '1.0' })]);
    expect([...result.leaves.values()].map((l) => [l.key, l.value, l.owner])).toEqual([['fw', '2.0', 'high']]);
    expect([...result.applied]).toEqual(['high']);
  });

  it('applies both configurations when they set different properties', () => {
    const result = resolveContent([config('a', { 'properties.desired.fw': '2.0' }), config('b', { 'properties.desired.telemetry': { interval: 5 } })]);
    expect([...result.applied].sort()).toEqual(['a', 'b']);
    expect(result.leaves.get('telemetry.interval')?.owner).toBe('b');
  });

  it('gives a whole value to the higher configuration when both set the same content key; the lower one is only Targeted', () => {
    const result = resolveContent([config('h', { 'properties.desired.fw': { v: 2 } }), config('l', { 'properties.desired.fw': { v: 1, url: 'a' } })]);
    expect([...result.leaves.values()].map((l) => [l.key, l.value, l.owner])).toEqual([['fw.v', 2, 'h']]);
    expect([...result.applied]).toEqual(['h']);
  });

  it('lets a higher configuration that sets inside a lower one\'s content key take that key whole', () => {
    const result = resolveContent([config('high', { 'properties.desired.chiller.temperature': 70 }), config('low', { 'properties.desired.chiller': { temperature: 66, pressure: 28 } })]);
    expect([...result.leaves.values()].map((l) => [l.key, l.value, l.owner])).toEqual([['chiller.temperature', 70, 'high']]);
    expect([...result.applied]).toEqual(['high']);
  });

  it('merges the content keys that do not compete, and marks a configuration that lost any key Targeted', () => {
    const result = resolveContent([
      config('high', { 'properties.desired.fw': { v: 2 } }),
      config('low', { 'properties.desired.fw': { v: 1, url: 'a' }, 'properties.desired.telemetry': { interval: 5 } }),
    ]);
    expect([...result.leaves.values()].map((l) => [l.key, l.value, l.owner])).toEqual([
      ['fw.v', 2, 'high'],
      ['telemetry.interval', 5, 'low'],
    ]);
    expect([...result.applied]).toEqual(['high']);
  });

  it('lets a higher configuration that sets a whole property shadow a lower one that sets inside it', () => {
    const result = resolveContent([config('high', { 'properties.desired.chiller': 'off' }), config('low', { 'properties.desired.chiller.temperature': 66 })]);
    expect([...result.leaves.keys()]).toEqual(['chiller']);
    expect(result.applied.has('low')).toBe(false);
  });

  it('counts a configuration without content as applied', () => {
    expect([...resolveContent([config('empty', {})]).applied]).toEqual(['empty']);
  });
});
