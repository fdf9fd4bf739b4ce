import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '@hubemu/shared';

/** Most one-time login tokens outstanding at once; minting more forgets the oldest. */
export const MAX_LOGIN_TOKENS = 16;
/** How long an unused login token stays valid. */
export const LOGIN_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * One-time dashboard login tokens, the way Jupyter prints one in its start banner: 32 random bytes,
 * good for one exchange within LOGIN_TOKEN_TTL_MS, at most MAX_LOGIN_TOKENS outstanding.
 */
export class LoginTokens {
  private readonly issued = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  mint(): string {
    const token = randomBytes(32).toString('base64url');
    this.issued.set(token, this.clock.now() + LOGIN_TOKEN_TTL_MS);
    for (const oldest of this.issued.keys()) {
      if (this.issued.size <= MAX_LOGIN_TOKENS) break;
      this.issued.delete(oldest);
    }
    return token;
  }

  /** True once for a token this hub minted that has not expired; it is spent either way. */
  redeem(candidate: string): boolean {
    const given = Buffer.from(candidate);
    for (const [token, expiresAt] of this.issued) {
      const known = Buffer.from(token);
      if (known.length === given.length && timingSafeEqual(known, given)) {
        this.issued.delete(token);
        return expiresAt > this.clock.now();
      }
    }
    return false;
  }
}
