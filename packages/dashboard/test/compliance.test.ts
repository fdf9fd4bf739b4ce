import { describe, expect, it } from 'vitest';
import { compileCondition, parseCondition } from '@hubemu/hub-emulator';
import { collectLeaves, complianceConditions, parsePropertyPath, type ComplianceGroup } from '../src/compliance.js';

const twin = (desired: object | undefined, reported: object | undefined, connectionState = 'Connected'): object => ({
  deviceId: 'd',
  connectionState,
  properties: { desired: desired === undefined ? {} : { telemetryConfig: desired }, reported: reported === undefined ? {} : { telemetryConfig: reported } },
});

/** The groups whose condition, run by the hub's own query engine, selects the twin. */
function groupsOf(doc: object, leaves: string[][] = [['sendFrequency'], ['configId']]): ComplianceGroup[] {
  const conditions = complianceConditions(['telemetryConfig'], leaves);
  return (Object.keys(conditions) as ComplianceGroup[]).filter((group) => compileCondition(parseCondition(conditions[group]))(doc));
}

describe('fleet compliance conditions', () => {
  it('put a device in exactly one group: applied, pending, failed, offline or not targeted', () => {
    const want = { sendFrequency: '5m', configId: 'c1' };
    expect(groupsOf(twin(want, { ...want, status: 'Success' }))).toEqual(['applied']);
    expect(groupsOf(twin(want, { sendFrequency: '24h', configId: '0', status: 'Pending' }))).toEqual(['pending']);
    expect(groupsOf(twin(want, undefined))).toEqual(['pending']);
    expect(groupsOf(twin(want, { sendFrequency: '24h', status: 'Failed' }))).toEqual(['failed']);
    expect(groupsOf(twin(want, { ...want, status: 'Error' }, 'Disconnected'))).toEqual(['failed']);
    expect(groupsOf(twin(want, { sendFrequency: '24h' }, 'Disconnected'))).toEqual(['offline']);
    expect(groupsOf(twin(want, { ...want }, 'Disconnected'))).toEqual(['applied']);
    expect(groupsOf(twin(undefined, { ...want }))).toEqual(['notTargeted']);
  });

  it('compare only the leaves a device is asked for', () => {
    expect(groupsOf(twin({ sendFrequency: '5m' }, { sendFrequency: '5m', configId: 'v3', status: 'Success' }))).toEqual(['applied']);
  });

  it('escape names that are not identifiers, and a path to a single value compares the value', () => {
    const conditions = complianceConditions(['fan-speed'], [[]]);
    expect(conditions.applied).toContain('properties.reported.[[fan-speed]] = properties.desired.[[fan-speed]]');
    const doc = { connectionState: 'Connected', properties: { desired: { 'fan-speed': 3 }, reported: { 'fan-speed': 3 } } };
    expect(compileCondition(parseCondition(conditions.applied))(doc)).toBe(true);
  });

  it('learn the leaves from desired values, leaving $-keys out, and read a path as names', () => {
    const leaves = new Map<string, string[]>();
    collectLeaves({ sendFrequency: '5m', nested: { a: 1 }, $version: 4 }, leaves);
    collectLeaves({ sendFrequency: '1h', configId: 'x' }, leaves);
    expect([...leaves.values()]).toEqual([['sendFrequency'], ['nested', 'a'], ['configId']]);
    expect(parsePropertyPath(' properties.desired.telemetryConfig.sendFrequency ')).toEqual(['telemetryConfig', 'sendFrequency']);
    expect(() => parsePropertyPath('a..b')).toThrow(/not a property path/);
  });
});
