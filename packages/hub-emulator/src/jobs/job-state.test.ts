import { describe, expect, it } from 'vitest';
import { emptyStatistics, initialStatus, moveDevice, nextStatus, tallyStatistics } from './job-state.js';
import { isFinalJobStatus } from '@hubemu/shared';

describe('job lifecycle rules', () => {
  it('waits as scheduled when the start time is later than now, and is queued otherwise', () => {
    expect(initialStatus(2_000, 1_000)).toBe('scheduled');
    expect(initialStatus(1_000, 1_000)).toBe('queued');
    expect(initialStatus(500, 1_000)).toBe('queued');
  });

  it('moves scheduled to queued to running to completed', () => {
    expect(nextStatus('scheduled', 'due')).toBe('queued');
    expect(nextStatus('queued', 'start')).toBe('running');
    expect(nextStatus('running', 'finish')).toBe('completed');
  });

  it('cancels a job that has not finished, and never a finished one', () => {
    for (const status of ['scheduled', 'queued', 'running'] as const) expect(nextStatus(status, 'cancel')).toBe('cancelled');
    for (const status of ['completed', 'failed', 'cancelled'] as const) {
      expect(nextStatus(status, 'cancel')).toBeUndefined();
      expect(isFinalJobStatus(status)).toBe(true);
    }
  });

  it('does not start a scheduled job before it is due or finish a queued one', () => {
    expect(nextStatus('scheduled', 'start')).toBeUndefined();
    expect(nextStatus('queued', 'finish')).toBeUndefined();
  });
});

describe('device job statistics', () => {
  it('counts rows by status, with cancelled rows in deviceCount only', () => {
    expect(tallyStatistics(['pending', 'running', 'completed', 'completed', 'failed', 'cancelled'])).toEqual({
      deviceCount: 6,
      pendingCount: 1,
      runningCount: 1,
      succeededCount: 2,
      failedCount: 1,
    });
  });

  it('follows a device from new to pending to running to completed', () => {
    let stats = emptyStatistics();
    stats = moveDevice(stats, undefined, 'pending');
    expect(stats).toMatchObject({ deviceCount: 1, pendingCount: 1 });
    stats = moveDevice(stats, 'pending', 'running');
    expect(stats).toMatchObject({ deviceCount: 1, pendingCount: 0, runningCount: 1 });
    stats = moveDevice(stats, 'running', 'completed');
    expect(stats).toEqual({ deviceCount: 1, pendingCount: 0, runningCount: 0, succeededCount: 1, failedCount: 0 });
  });

  it('returns new statistics and leaves the given ones unchanged', () => {
    const before = emptyStatistics();
    moveDevice(before, undefined, 'failed');
    expect(before).toEqual(emptyStatistics());
  });
});
