import { signSasToken, type Clock } from '@hubemu/shared';
import type { ServiceCredentials } from './connection-string.js';

/** Signs service tokens (`sr={host}`, `skn={policy}`) and reuses one until shortly before it expires. */
export class SasTokenProvider {
  private token: { value: string; expiresAtMs: number } | undefined;

  constructor(
    private readonly credentials: ServiceCredentials,
    private readonly clock: Clock,
    /** Lifetime of a token; Node's service SDK uses an hour. */
    private readonly ttlSeconds = 3600,
  ) {}

  /** A valid `SharedAccessSignature ...` header value. */
  current(): string {
    const now = this.clock.now();
    // Renew when less than a tenth of the lifetime (at most 5 minutes) is left.
    const margin = Math.min(this.ttlSeconds * 100, 300_000);
    if (!this.token || this.token.expiresAtMs - margin <= now) {
      const expiry = Math.floor(now / 1000) + this.ttlSeconds;
      this.token = { value: signSasToken(this.credentials.hostName, this.credentials.policyKey, expiry, this.credentials.policyName), expiresAtMs: expiry * 1000 };
    }
    return this.token.value;
  }
}
