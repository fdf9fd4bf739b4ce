import { systemHubClock } from '@hubemu/shared';
import { describe, expect, it } from 'vitest';
import { RateLimiter, takeToken } from './rate-limiter.js';

describe('the job device-operation rate limit', () => {
  it('lets a full bucket through and then asks to wait for the next token', () => {
    let state = { tokens: 2, atMs: 0 };
    for (let i = 0; i < 2; i++) {
      const result = takeToken(state, 0, 10, 2);
      expect(result.waitMs).toBe(0);
      state = result.state;
    }
    expect(takeToken(state, 0, 10, 2).waitMs).toBe(100);
  });

  it('refills at the rate and never above the burst', () => {
    const empty = { tokens: 0, atMs: 0 };
    expect(takeToken(empty, 100, 10, 5).waitMs).toBe(0);
    expect(takeToken(empty, 10_000, 10, 5).state.tokens).toBe(4);
  });

  it('does ten operations per second at 10/s on an injected clock', () => {
    let now = 0;
    const limiter = new RateLimiter(10, systemHubClock({ now: () => now }));
    let done = 0;
    while (now <= 2_000) {
      const wait = limiter.take();
      if (wait === 0) done += 1;
      else now += wait;
    }
    // The first second's burst (10) plus 10 per second for two seconds.
    expect(done).toBeGreaterThanOrEqual(29);
    expect(done).toBeLessThanOrEqual(31);
  });

  it('never waits without a rate', () => {
    const limiter = new RateLimiter(undefined, systemHubClock({ now: () => 0 }));
    expect(limiter.limited).toBe(false);
    for (let i = 0; i < 1000; i++) expect(limiter.take()).toBe(0);
  });
});
