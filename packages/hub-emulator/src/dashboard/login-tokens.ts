import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '@hubemu/shared';
import type { Collection } from '../store/collection.js';

/** Where a hub of several processes keeps a login token's digest (never the token) and its expiry, in the store's `meta`. */
const SHARED_PREFIX = 'dashboardLogin:';

function sharedKey(token: string): string {
  return `${SHARED_PREFIX}${createHash('sha256').update(token).digest('hex')}`;
}

/** Most one-time login tokens outstanding at once; minting more forgets the oldest. */
export const MAX_LOGIN_TOKENS = 16;
/** How long an unused login token stays valid. */
export const LOGIN_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * One-time dashboard login tokens, the way Jupyter prints one in its start banner: 32 random bytes,
 * good for one exchange within LOGIN_TOKEN_TTL_MS, at most MAX_LOGIN_TOKENS outstanding. On a hub of
 * several processes (`shared`: the store's `meta`), a token minted by one is good on any of them: its
 * digest is stored until it is spent or expires.
 */
export class LoginTokens {
  private readonly issued = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly shared?: Collection<string>,
  ) {}

  mint(): string {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = this.clock.now() + LOGIN_TOKEN_TTL_MS;
    this.issued.set(token, expiresAt);
    for (const oldest of this.issued.keys()) {
      if (this.issued.size <= MAX_LOGIN_TOKENS) break;
      this.issued.delete(oldest);
      if (this.shared) this.forgetShared(sharedKey(oldest));
    }
    if (this.shared) {
      for (const key of [...this.shared.keys()]) if (key.startsWith(SHARED_PREFIX) && Number(this.shared.get(key)) <= this.clock.now()) this.shared.delete(key);
      this.shared.put(sharedKey(token), String(expiresAt));
    }
    return token;
  }

  /** True once for a token this hub minted that has not expired; it is spent either way. */
  redeem(candidate: string): boolean {
    if (this.shared) {
      // Minted by any process of the hub, and spent for all of them.
      const key = sharedKey(candidate);
      const expiresAt = this.shared.get(key);
      if (expiresAt === undefined) return false;
      this.forgetShared(key);
      this.issued.delete(candidate);
      return Number(expiresAt) > this.clock.now();
    }
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

  private forgetShared(key: string): void {
    if (this.shared?.has(key)) this.shared.delete(key);
  }
}
