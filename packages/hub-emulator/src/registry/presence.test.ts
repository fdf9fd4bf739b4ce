import { HubError } from '@hubemu/shared';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store.js';
import type { Presence } from './device-entry.js';
import { PresenceTracker } from './presence.js';

describe('PresenceTracker', () => {
  it('remembers, across a restart, when each identity connected and was last active, and marks it Disconnected', () => {
    const store = new MemoryStore();
    let now = Date.parse('2026-11-28T10:00:00Z');
    const clock = { now: () => now };
    const before = new PresenceTracker(clock, () => {}, store.collection<Presence>('presence'));
    before.connected('d1');
    before.connected('d1', 'm1');
    now += 5_000;
    before.activity('d1');
    before.disconnected('d1');

    const after = new PresenceTracker(clock, () => {}, store.collection<Presence>('presence'));
    expect(after.get('d1')).toEqual({
      connectionState: 'Disconnected',
      connectionStateUpdatedTime: '2026-11-28T10:00:05.0000000Z',
      lastActivityTime: '2026-11-28T10:00:05.0000000Z',
    });
    // Connected when the hub went down: Disconnected now, last seen when it connected.
    expect(after.get('d1/m1')).toMatchObject({ connectionState: 'Disconnected', lastActivityTime: '2026-11-28T10:00:00.0000000Z' });
  });

  it('forgets a deleted identity for good', () => {
    const store = new MemoryStore();
    const clock = { now: () => 0 };
    const tracker = new PresenceTracker(clock, () => {}, store.collection<Presence>('presence'));
    tracker.connected('gone');
    tracker.forget('gone');
    expect(new PresenceTracker(clock, () => {}, store.collection<Presence>('presence')).get('gone').lastActivityTime).toBe('0001-01-01T00:00:00Z');
  });

  it('tracks a connection, and forgets an identity, in memory when the store refuses to save it (disk full), instead of throwing', () => {
    const store = new MemoryStore();
    const saved = store.collection<Presence>('presence');
    saved.put = () => {
      throw new HubError('ServiceUnavailable', 'The hub could not store the change (ENOSPC).');
    };
    const changed: string[] = [];
    const tracker = new PresenceTracker({ now: () => 0 }, (key) => changed.push(key), saved);
    expect(() => tracker.connected('d1')).not.toThrow();
    expect(tracker.get('d1').connectionState).toBe('Connected');
    saved.delete = saved.put as unknown as typeof saved.delete;
    expect(() => tracker.forget('d1')).not.toThrow();
    expect(tracker.get('d1').connectionState).toBe('Disconnected');
    expect(changed).toEqual(['d1']);
  });
});
