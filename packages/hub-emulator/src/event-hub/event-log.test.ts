import { describe, expect, it } from 'vitest';
import { isHubError } from '@hubemu/shared';
import { EventLog, type EventLogOptions, type NewHubEvent } from './event-log.js';
import { partitionOf } from './partition-hash.js';

function makeLog(options: Partial<EventLogOptions> = {}): { log: EventLog; clock: { now: () => number; ms: number } } {
  const clock = { ms: 1_700_000_000_000, now: () => clock.ms };
  const log = new EventLog({ name: 'hub', partitions: 4, consumerGroups: [], maxEvents: 1000, maxBytes: 1_000_000, retentionMs: 60_000, clock, ...options });
  return { log, clock };
}

function event(deviceId: string, body = 'x', properties: Record<string, string> = {}): NewHubEvent {
  return { deviceId, messageSource: 'Telemetry', annotations: {}, properties, body: Buffer.from(body) };
}

/** A device id per partition (0..3 of 4), found by the hash. */
function devicesByPartition(count = 4): string[] {
  const found: string[] = [];
  for (let i = 0; found.filter(Boolean).length < count; i++) {
    const id = `dev-${i}`;
    const p = partitionOf(id, count);
    found[p] ??= id;
  }
  return found;
}

const [d0, d1] = devicesByPartition();

describe('EventLog', () => {
  it('puts every event of a device in the same partition, numbered from 0 with increasing numeric offsets', () => {
    const { log } = makeLog();
    const events = [log.append(event(d0!, 'a')), log.append(event(d0!, 'bb')), log.append(event(d1!, 'c'))];
    expect(events.map((e) => [e.partition, e.sequenceNumber])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
    expect(Number(events[1]!.offset)).toBeGreaterThan(Number(events[0]!.offset));
    expect(events[0]!.offset).toBe('0');
    expect(log.read(0, 0, 10).map((e) => e.body.toString())).toEqual(['a', 'bb']);
  });

  it('spreads devices over the partitions with a hash that does not change between runs', () => {
    expect(partitionOf('thermostat-1', 4)).toBe(partitionOf('thermostat-1', 4));
    const used = new Set(Array.from({ length: 100 }, (_, i) => partitionOf(`device-${i}`, 4)));
    expect(used).toEqual(new Set([0, 1, 2, 3]));
    // FNV-1a of "a" is 0xe40c292c: pinned so a checkpointed reader finds a device where it left it.
    expect(partitionOf('a', 32)).toBe(0xe40c292c % 32);
  });

  it('stamps the enqueued time from the hub clock and never lets it go back', () => {
    const { log, clock } = makeLog();
    const first = log.append(event(d0!));
    clock.ms -= 5_000;
    const second = log.append(event(d0!));
    expect(first.enqueuedTimeMs).toBe(1_700_000_000_000);
    expect(second.enqueuedTimeMs).toBe(first.enqueuedTimeMs);
  });

  it('keeps at most maxEvents over all partitions, dropping the oldest first', () => {
    const { log } = makeLog({ maxEvents: 3 });
    log.append(event(d0!, '1'));
    log.append(event(d1!, '2'));
    log.append(event(d0!, '3'));
    log.append(event(d1!, '4'));
    expect(log.retained().map((e) => e.body.toString())).toEqual(['2', '3', '4']);
    expect(log.partitionInfo(0)).toMatchObject({ beginSequenceNumber: 1, lastEnqueuedSequenceNumber: 1, isEmpty: false });
    expect(log.read(0, 0, 10).map((e) => e.sequenceNumber)).toEqual([1]);
  });

  it('keeps at most maxBytes, and does not keep an event larger than the bound on its own', () => {
    const { log } = makeLog({ maxBytes: 1000 });
    log.append(event(d0!, 'a'.repeat(400)));
    log.append(event(d0!, 'b'.repeat(400)));
    expect(log.retainedCount).toBe(1);
    expect(log.bytes).toBeLessThanOrEqual(1000);
    const huge = log.append(event(d0!, 'c'.repeat(2000)));
    expect(huge.sequenceNumber).toBe(2);
    expect(log.read(0, 0, 10).map((e) => e.body.toString()[0])).toEqual(['b']);
  });

  it('keeps nothing with maxEvents 0, yet numbers and announces every event', () => {
    const { log } = makeLog({ maxEvents: 0 });
    const seen: number[] = [];
    log.onAppend((e) => seen.push(e.sequenceNumber));
    log.append(event(d0!));
    log.append(event(d0!));
    expect(seen).toEqual([0, 1]);
    expect(log.retained()).toEqual([]);
    expect(log.partitionInfo(0)).toMatchObject({ beginSequenceNumber: 2, lastEnqueuedSequenceNumber: 1, isEmpty: true });
  });

  it('drops events older than the retention time', () => {
    const { log, clock } = makeLog({ retentionMs: 10_000 });
    log.append(event(d0!, 'old'));
    clock.ms += 6_000;
    log.append(event(d0!, 'new'));
    clock.ms += 5_000;
    expect(log.read(0, 0, 10).map((e) => e.body.toString())).toEqual(['new']);
    expect(log.startOf(0, { kind: 'earliest' })).toBe(1);
  });

  it('holds memory bounded while a fleet sends far more than it keeps', () => {
    const { log } = makeLog({ maxEvents: 100 });
    for (let i = 0; i < 50_000; i++) log.append(event(`d${i % 37}`, 'payload'));
    expect(log.retainedCount).toBe(100);
    const kept = log.retained();
    expect(kept).toHaveLength(100);
    for (let p = 0; p < 4; p++) {
      const info = log.partitionInfo(p);
      expect(log.read(p, 0, 1000).length).toBe(info.lastEnqueuedSequenceNumber - info.beginSequenceNumber + 1);
    }
  });

  it('reports a partition that never had an event as empty with -1 numbers', () => {
    const { log } = makeLog();
    expect(log.partitionInfo(3)).toEqual({ partition: 3, beginSequenceNumber: -1, lastEnqueuedSequenceNumber: -1, lastEnqueuedOffset: '-1', lastEnqueuedTimeMs: 0, isEmpty: true });
    expect(log.startOf(3, { kind: 'earliest' })).toBe(0);
    expect(log.startOf(3, { kind: 'latest' })).toBe(0);
  });

  it('reports the last enqueued event of a partition', () => {
    const { log } = makeLog();
    log.append(event(d0!));
    const last = log.append(event(d0!));
    expect(log.partitionInfo(0)).toEqual({
      partition: 0,
      beginSequenceNumber: 0,
      lastEnqueuedSequenceNumber: 1,
      lastEnqueuedOffset: last.offset,
      lastEnqueuedTimeMs: last.enqueuedTimeMs,
      isEmpty: false,
    });
  });

  describe('startOf', () => {
    function filled(): { log: EventLog; events: ReturnType<EventLog['append']>[]; clock: { ms: number } } {
      const { log, clock } = makeLog();
      const events = [];
      for (let i = 0; i < 5; i++) {
        events.push(log.append(event(d0!, `e${i}`)));
        clock.ms += 1000;
      }
      return { log, events, clock };
    }

    it('starts at the first retained event for earliest and at the next one for latest', () => {
      const { log } = filled();
      expect(log.startOf(0, { kind: 'earliest' })).toBe(0);
      expect(log.startOf(0, { kind: 'latest' })).toBe(5);
      expect(log.startOf(0, { kind: 'offset', value: '-1', inclusive: false })).toBe(0);
      expect(log.startOf(0, { kind: 'offset', value: '@latest', inclusive: false })).toBe(5);
    });

    it('starts after or at an offset', () => {
      const { log, events } = filled();
      expect(log.startOf(0, { kind: 'offset', value: events[2]!.offset, inclusive: true })).toBe(2);
      expect(log.startOf(0, { kind: 'offset', value: events[2]!.offset, inclusive: false })).toBe(3);
      expect(log.startOf(0, { kind: 'offset', value: String(Number(events[2]!.offset) + 1), inclusive: true })).toBe(3);
      expect(log.startOf(0, { kind: 'offset', value: events[4]!.offset, inclusive: false })).toBe(5);
    });

    it('starts after or at a sequence number, and at the first retained one when it was dropped', () => {
      const { log } = filled();
      expect(log.startOf(0, { kind: 'sequenceNumber', value: 2, inclusive: true })).toBe(2);
      expect(log.startOf(0, { kind: 'sequenceNumber', value: 2, inclusive: false })).toBe(3);
      expect(log.startOf(0, { kind: 'sequenceNumber', value: 4, inclusive: false })).toBe(5);
      const { log: small } = makeLog({ maxEvents: 2 });
      for (let i = 0; i < 5; i++) small.append(event(d0!));
      expect(small.startOf(0, { kind: 'sequenceNumber', value: 0, inclusive: true })).toBe(3);
    });

    it('refuses a sequence number beyond the next one, as the service does', () => {
      const { log } = filled();
      let thrown: unknown;
      try {
        log.startOf(0, { kind: 'sequenceNumber', value: 9, inclusive: true });
      } catch (error) {
        thrown = error;
      }
      expect(isHubError(thrown) && thrown.errorCode).toBe('ArgumentInvalid');
    });

    it('starts after or at an enqueued time', () => {
      const { log, events } = filled();
      expect(log.startOf(0, { kind: 'enqueuedTime', valueMs: events[1]!.enqueuedTimeMs, inclusive: false })).toBe(2);
      expect(log.startOf(0, { kind: 'enqueuedTime', valueMs: events[1]!.enqueuedTimeMs, inclusive: true })).toBe(1);
      expect(log.startOf(0, { kind: 'enqueuedTime', valueMs: 0, inclusive: false })).toBe(0);
      expect(log.startOf(0, { kind: 'enqueuedTime', valueMs: events[4]!.enqueuedTimeMs + 1, inclusive: false })).toBe(5);
    });

    it('refuses an offset that is not a number and a partition that does not exist', () => {
      const { log } = filled();
      expect(() => log.startOf(0, { kind: 'offset', value: 'abc', inclusive: false })).toThrow(/not a number/);
      expect(() => log.startOf(4, { kind: 'earliest' })).toThrow(/partitions are 0 to 3/);
      expect(() => log.partitionInfo(-1)).toThrow(/does not exist/);
    });
  });

  it('reads up to max events from a sequence number, oldest first', () => {
    const { log } = makeLog();
    for (let i = 0; i < 5; i++) log.append(event(d0!, `e${i}`));
    expect(log.read(0, 1, 2).map((e) => e.body.toString())).toEqual(['e1', 'e2']);
    expect(log.read(0, 5, 10)).toEqual([]);
  });

  it('announces each appended event until unsubscribed', () => {
    const { log } = makeLog();
    const seen: string[] = [];
    const off = log.onAppend((e) => seen.push(e.body.toString()));
    log.append(event(d0!, 'a'));
    off();
    log.append(event(d0!, 'b'));
    expect(seen).toEqual(['a']);
  });

  it('knows $Default in any case and the configured consumer groups', () => {
    const { log } = makeLog({ consumerGroups: ['Analytics'] });
    expect(['$Default', '$default', 'analytics', 'Analytics'].map((g) => log.hasConsumerGroup(g))).toEqual([true, true, true, true]);
    expect(log.hasConsumerGroup('other')).toBe(false);
  });

  it('empties on clear while numbering goes on, and tells its readers', () => {
    const { log } = makeLog();
    let cleared = 0;
    log.onClear(() => cleared++);
    log.append(event(d0!));
    log.clear();
    expect(cleared).toBe(1);
    expect(log.retained()).toEqual([]);
    expect(log.bytes).toBe(0);
    expect(log.partitionInfo(0)).toMatchObject({ beginSequenceNumber: 1, isEmpty: true });
    expect(log.append(event(d0!)).sequenceNumber).toBe(1);
  });

  it('keeps the numbering a shared log assigned, skips what it has, and starts over in a partition whose events no longer follow on', () => {
    const { log } = makeLog();
    const appended: number[] = [];
    log.onAppend((e) => appended.push(e.sequenceNumber));
    log.appendAssigned(event(d0!, 'a'), { sequenceNumber: 7, offset: 700, enqueuedTimeMs: 1_700_000_000_500 });
    log.appendAssigned(event(d0!, 'b'), { sequenceNumber: 8, offset: 800, enqueuedTimeMs: 1_700_000_000_600 });
    log.appendAssigned(event(d1!, 'c'), { sequenceNumber: 0, offset: 0, enqueuedTimeMs: 1_700_000_000_650 });
    // Told again (a reload of the shared log): kept once.
    log.appendAssigned(event(d0!, 'b'), { sequenceNumber: 8, offset: 800, enqueuedTimeMs: 1_700_000_000_600 });
    expect(log.partitionInfo(0)).toMatchObject({ beginSequenceNumber: 7, lastEnqueuedSequenceNumber: 8, lastEnqueuedOffset: '800', lastEnqueuedTimeMs: 1_700_000_000_600 });
    expect(log.read(0, 0, 10).map((e) => [e.sequenceNumber, e.offset, e.body.toString()])).toEqual([
      [7, '700', 'a'],
      [8, '800', 'b'],
    ]);
    // 9 and 10 were trimmed before this process read them: what partition 0 held goes, partition 1 stays.
    log.appendAssigned(event(d0!, 'e'), { sequenceNumber: 11, offset: 1100, enqueuedTimeMs: 1_700_000_000_900 });
    expect(log.partitionInfo(0)).toMatchObject({ beginSequenceNumber: 11, lastEnqueuedSequenceNumber: 11 });
    expect(log.retained().map((e) => e.body.toString())).toEqual(['c', 'e']);
    expect(appended).toEqual([7, 8, 0, 11]);
  });
});

