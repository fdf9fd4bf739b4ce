import { describe, expect, it } from 'vitest';
import { TwinSyncState } from './twin-sync-state.js';

const doc = (desiredVersion: number, desired: Record<string, number | string> = {}) => ({
  desired: { ...desired, $version: desiredVersion },
  reported: { $version: 3 },
});

describe('TwinSyncState (the reconnect flow: subscribe, GET, drop $version <= GET)', () => {
  it('holds notifications that arrive while the GET is outstanding', () => {
    const state = new TwinSyncState();
    state.beginSync();
    expect(state.receiveDesired({ a: 1, $version: 5 })).toEqual({ action: 'buffered' });
    expect(state.synced).toBe(false);
  });

  it('drops held notifications whose $version is not above the GET desired $version', () => {
    const state = new TwinSyncState();
    state.beginSync();
    state.receiveDesired({ a: 1, $version: 4 });
    state.receiveDesired({ a: 2, $version: 5 });
    const changes = state.completeSync(doc(5, { a: 2 }));
    expect(changes.map((c) => [c.source, c.version])).toEqual([['sync', 5]]);
    expect(state.desired).toEqual({ a: 2 });
    expect(state.desiredVersion).toBe(5);
  });

  it('applies held notifications newer than the GET, in version order', () => {
    const state = new TwinSyncState();
    state.beginSync();
    state.receiveDesired({ b: 7, $version: 7 });
    state.receiveDesired({ a: 6, $version: 6 });
    const changes = state.completeSync(doc(5, { a: 1 }));
    expect(changes.map((c) => [c.source, c.version])).toEqual([['sync', 5], ['patch', 6], ['patch', 7]]);
    expect(state.desired).toEqual({ a: 6, b: 7 });
  });

  it('drops a notification at or below the current $version after sync', () => {
    const state = new TwinSyncState();
    state.completeSync(doc(5));
    expect(state.receiveDesired({ a: 1, $version: 5 })).toEqual({ action: 'dropped', reason: 'stale' });
    expect(state.receiveDesired({ a: 1, $version: 3 })).toEqual({ action: 'dropped', reason: 'stale' });
  });

  it('merges a fresh notification with null deleting a key', () => {
    const state = new TwinSyncState();
    state.completeSync(doc(1, { keep: 'x', drop: 'y' }));
    const verdict = state.receiveDesired({ drop: null, nested: { a: 1 }, $version: 2 } as never);
    expect(verdict).toMatchObject({ action: 'applied', change: { source: 'patch', version: 2, gap: false } });
    expect(state.desired).toEqual({ keep: 'x', nested: { a: 1 } });
  });

  it('marks a skipped version as a gap', () => {
    const state = new TwinSyncState();
    state.completeSync(doc(1));
    const verdict = state.receiveDesired({ a: 1, $version: 4 });
    expect(verdict.action === 'applied' && verdict.change.gap).toBe(true);
  });

  it('records accepted reported patches and their version', () => {
    const state = new TwinSyncState();
    state.completeSync(doc(1));
    state.applyReported({ temp: 20 }, 4);
    expect(state.reported).toEqual({ temp: 20 });
    expect(state.reportedVersion).toBe(4);
  });

  it('strips $version from the documents it keeps', () => {
    const state = new TwinSyncState();
    state.completeSync(doc(2, { a: 1 }));
    expect(state.desired).not.toHaveProperty('$version');
    expect(state.reported).not.toHaveProperty('$version');
  });
});
