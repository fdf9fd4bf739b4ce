import type { HubClock } from '@hubemu/shared';

/** A token bucket's state: tokens left and when it was last refilled. */
export interface BucketState {
  tokens: number;
  atMs: number;
}

/**
 * Takes one token at `nowMs` from a bucket refilled at `ratePerSecond` and holding at most `burst`
 * tokens. Returns the new state and how long to wait before trying again (0 when a token was taken).
 */
export function takeToken(state: BucketState, nowMs: number, ratePerSecond: number, burst: number): { state: BucketState; waitMs: number } {
  const elapsed = Math.max(0, nowMs - state.atMs);
  const tokens = Math.min(burst, state.tokens + (elapsed * ratePerSecond) / 1000);
  if (tokens >= 1) return { state: { tokens: tokens - 1, atMs: nowMs }, waitMs: 0 };
  return { state: { tokens, atMs: nowMs }, waitMs: Math.ceil(((1 - tokens) * 1000) / ratePerSecond) };
}

/**
 * Traffic shaping (reference 3.2: excess requests are queued before they are refused): takes `cost`
 * tokens at `nowMs` when they can be had within `maxWaitMs`. A request that must wait takes them now
 * all the same (the bucket goes below zero, so later ones queue behind it) and is told how long to
 * wait; one that would wait longer takes nothing and is refused (`admitted` false).
 */
export function reserveTokens(
  state: BucketState,
  nowMs: number,
  ratePerSecond: number,
  burst: number,
  cost: number,
  maxWaitMs: number,
): { state: BucketState; admitted: boolean; waitMs: number } {
  const elapsed = Math.max(0, nowMs - state.atMs);
  const tokens = Math.min(burst, state.tokens + (elapsed * ratePerSecond) / 1000);
  const left = tokens - cost;
  const waitMs = left >= 0 ? 0 : Math.ceil((-left * 1000) / ratePerSecond);
  if (waitMs > maxWaitMs) return { state: { tokens, atMs: nowMs }, admitted: false, waitMs };
  return { state: { tokens: left, atMs: nowMs }, admitted: true, waitMs };
}

/** Device operations per second shared by every running job; without a rate it never waits. */
export class RateLimiter {
  private state: BucketState;
  private readonly burst: number;

  constructor(
    private readonly ratePerSecond: number | undefined,
    private readonly clock: HubClock,
  ) {
    this.burst = Math.max(1, ratePerSecond ?? 1);
    this.state = { tokens: this.burst, atMs: clock.now() };
  }

  get limited(): boolean {
    return this.ratePerSecond !== undefined;
  }

  /** 0 when the operation may run now (a token is taken), else the milliseconds to wait before asking again. */
  take(): number {
    if (this.ratePerSecond === undefined) return 0;
    const result = takeToken(this.state, this.clock.now(), this.ratePerSecond, this.burst);
    this.state = result.state;
    return result.waitMs;
  }

  /** Resolves once a token was taken. */
  async acquire(): Promise<void> {
    for (let wait = this.take(); wait > 0; wait = this.take()) {
      await this.clock.sleep(wait);
    }
  }
}
