import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.js';
import { systemHubClock, toHubClock } from './scheduler.js';
import { systemClock } from './time.js';

describe('the system scheduler (Node timers)', () => {
  it('fires timers in time order and never one that was cancelled', async () => {
    const clock = systemHubClock(systemClock);
    const fired: string[] = [];
    const cancelled = clock.after(1, () => fired.push('cancelled'));
    cancelled.cancel();
    await new Promise<void>((resolve) => {
      clock.after(15, () => {
        fired.push('later');
        resolve();
      });
      clock.at(systemClock.now() + 5, () => fired.push('sooner'));
    });
    expect(fired).toEqual(['sooner', 'later']);
  });

  it('waits by the time of the clock it reads: a timer due at a time that clock already reads fires at once', async () => {
    const frozen = systemHubClock({ now: () => 1_000 });
    expect(frozen.mode).toBe('system');
    expect(frozen.now()).toBe(1_000);
    await new Promise<void>((resolve) => frozen.at(500, resolve));
    await frozen.sleep(1);
  });

  it('repeats an interval until cancelled', async () => {
    const clock = systemHubClock(systemClock);
    let ticks = 0;
    await new Promise<void>((resolve) => {
      const timer = clock.every(2, () => {
        ticks += 1;
        if (ticks === 3) {
          timer.cancel();
          resolve();
        }
      });
    });
    expect(ticks).toBe(3);
  });
});

describe('toHubClock', () => {
  it('keeps a HubClock as it is and gives a bare Clock the system scheduler', () => {
    const manual = new ManualClock(0);
    expect(toHubClock(manual)).toBe(manual);
    const bare = toHubClock({ now: () => 42 });
    expect(bare.mode).toBe('system');
    expect(bare.now()).toBe(42);
    expect(typeof bare.after).toBe('function');
  });
});
