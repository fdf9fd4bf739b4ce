import { sasScopeCovers, type HubClock, type Permission, type Timer } from '@hubemu/shared';
import type { AudienceGrant } from '../auth/sas-authenticator.js';

/**
 * The tokens put on one AMQP connection (`$cbs`) and the links they opened. A link is attached only
 * while a token covers its resource with the permission it needs; when that token expires the link
 * stays open if a later token (the SDKs renew every 45 minutes) covers it, else it is closed.
 */
export class ConnectionGrants {
  private grants: AudienceGrant[] = [];
  private readonly watches = new Set<Timer>();

  constructor(private readonly clock: HubClock) {}

  add(grant: AudienceGrant): void {
    const now = this.clock.now();
    // Expired ones go; one audience keeps its newest token.
    this.grants = this.grants.filter((g) => g.expiresAtMs > now && g.audience.toLowerCase() !== grant.audience.toLowerCase());
    this.grants.push(grant);
  }

  /** The unexpired grant that covers `resource` (host and path, scheme-less) with `permission`, the longest-lived first. */
  find(resource: string, permission: Permission): AudienceGrant | undefined {
    const now = this.clock.now();
    let best: AudienceGrant | undefined;
    for (const g of this.grants) {
      if (g.expiresAtMs <= now || !g.permissions.includes(permission) || !sasScopeCovers(g.audience, resource)) continue;
      if (!best || g.expiresAtMs > best.expiresAtMs) best = g;
    }
    return best;
  }

  /** Calls `expired` once no grant covers `resource` any more (checked when the covering grant runs out); returns the cancel. */
  watch(resource: string, permission: Permission, grant: AudienceGrant, expired: () => void): () => void {
    let timer: Timer;
    const arm = (g: AudienceGrant): void => {
      timer = this.clock.at(g.expiresAtMs, () => {
        this.watches.delete(timer);
        const next = this.find(resource, permission);
        if (next) arm(next);
        else expired();
      });
      this.watches.add(timer);
    };
    arm(grant);
    return () => {
      timer.cancel();
      this.watches.delete(timer);
    };
  }

  /** The connection closed: no more timers. */
  dispose(): void {
    for (const timer of this.watches) timer.cancel();
    this.watches.clear();
    this.grants = [];
  }
}
