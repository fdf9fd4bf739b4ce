import { describe, expect, it } from 'vitest';
import { HubError } from '@hubemu/shared';
import { EventLog } from './event-log.js';

function makeLog(consumerGroups: string[] = ['Analytics']): EventLog {
  const clock = { now: () => 1_700_000_000_000 };
  return new EventLog({ name: 'hub', partitions: 2, consumerGroups, maxEvents: 100, maxBytes: 100_000, retentionMs: 60_000, clock });
}

function errorOf(work: () => unknown): HubError {
  try {
    work();
  } catch (error) {
    if (error instanceof HubError) return error;
    throw error;
  }
  throw new Error('expected a HubError');
}

describe('EventLog consumer groups', () => {
  it('lists $Default first, then the configured groups, then the created ones, with the case they were given', () => {
    const log = makeLog();
    expect(log.createConsumerGroup('Workshop-1')).toBe('Workshop-1');
    expect(log.listConsumerGroups()).toEqual(['$Default', 'Analytics', 'Workshop-1']);
    expect(log.hasConsumerGroup('workshop-1')).toBe(true);
    expect(log.getConsumerGroup('WORKSHOP-1')).toBe('Workshop-1');
  });

  it('refuses to create a group that exists in any case (409 Conflict), $Default included', () => {
    const log = makeLog();
    expect(errorOf(() => log.createConsumerGroup('analytics'))).toMatchObject({ errorCode: 'Conflict', status: 409 });
    expect(errorOf(() => log.createConsumerGroup('$default'))).toMatchObject({ errorCode: 'Conflict', status: 409 });
  });

  it('refuses names the service refuses: other characters, empty, longer than 50', () => {
    const log = makeLog();
    for (const name of ['has space', 'a/b', '', 'x'.repeat(51)]) expect(errorOf(() => log.createConsumerGroup(name))).toMatchObject({ errorCode: 'ArgumentInvalid', status: 400 });
    expect(log.createConsumerGroup('a.b-c_D9'.padEnd(50, 'z'))).toHaveLength(50);
  });

  it('deletes a group in any case and tells listeners its lower-cased name, refusing unknown groups (404) and $Default (400)', () => {
    const log = makeLog();
    log.createConsumerGroup('Temp');
    const deleted: string[] = [];
    log.onConsumerGroupDeleted((name) => deleted.push(name));
    log.deleteConsumerGroup('TEMP');
    log.deleteConsumerGroup('analytics');
    expect(deleted).toEqual(['temp', 'analytics']);
    expect(log.hasConsumerGroup('temp')).toBe(false);
    expect(errorOf(() => log.deleteConsumerGroup('temp'))).toMatchObject({ errorCode: 'NotFound', status: 404 });
    expect(errorOf(() => log.getConsumerGroup('temp'))).toMatchObject({ errorCode: 'NotFound', status: 404 });
    expect(errorOf(() => log.deleteConsumerGroup('$Default'))).toMatchObject({ errorCode: 'ArgumentInvalid', status: 400 });
    expect(log.listConsumerGroups()).toEqual(['$Default']);
  });

  it('a reset brings back the configured groups and deletes the created ones, telling listeners which', () => {
    const log = makeLog(['Analytics', 'Billing']);
    log.deleteConsumerGroup('Billing');
    log.createConsumerGroup('Temp');
    const deleted: string[] = [];
    log.onConsumerGroupDeleted((name) => deleted.push(name));
    log.resetConsumerGroups();
    expect(log.listConsumerGroups()).toEqual(['$Default', 'Analytics', 'Billing']);
    expect(deleted).toEqual(['temp']);
  });
});
