import { formatTimestamp, identityKey, type Clock } from '@hubemu/shared';
import type { Collection } from '../store/collection.js';
import { OFFLINE, type Presence } from './device-entry.js';

/**
 * Connection state and last activity per identity. Kept in memory (activity changes with every
 * message) and saved at each connect and disconnect, so a restarted hub still knows when a device was
 * last seen; after a restart every identity is Disconnected until it connects again.
 */
export class PresenceTracker {
  private readonly byKey = new Map<string, Presence>();

  constructor(
    private readonly clock: Clock,
    private readonly onChange: (key: string) => void,
    private readonly saved?: Collection<Presence>,
    /**
     * On a hub of several processes, this one's name: the saved records are shared and say who is connected
     * now, so they are taken as they are, and each names the process holding the connection.
     */
    private readonly owner?: string,
  ) {
    if (!saved) return;
    for (const key of saved.keys()) {
      const presence = saved.get(key) as Presence;
      this.byKey.set(key, owner ? { ...presence } : { ...presence, connectionState: 'Disconnected' });
    }
  }

  /** Whether the record of `key` says another process of the cluster holds its connection now. */
  heldElsewhere(key: string): boolean {
    const presence = this.byKey.get(key);
    return this.owner !== undefined && presence?.connectionState === 'Connected' && presence.owner !== undefined && presence.owner !== this.owner;
  }

  /** The identities whose record says a process `gone` picks holds their connection, with that process (the leader marks them Disconnected). */
  heldByGone(gone: (process: string) => boolean): Array<[key: string, process: string]> {
    const held: Array<[string, string]> = [];
    for (const [key, presence] of this.byKey) if (presence.connectionState === 'Connected' && presence.owner !== undefined && gone(presence.owner)) held.push([key, presence.owner]);
    return held;
  }

  /** Marks `key` Disconnected for its owner `process`, which is gone. */
  ownerGone(key: string, process: string): void {
    const current = this.byKey.get(key);
    if (!current || current.connectionState !== 'Connected' || current.owner !== process) return;
    this.set(key, { ...current, connectionState: 'Disconnected', connectionStateUpdatedTime: formatTimestamp(this.clock.now()) });
  }

  /** Another hub process saved (or removed) the record of `key`. */
  applyRemote(key: string, presence: Presence | undefined): void {
    if (presence) this.byKey.set(key, { ...presence });
    else this.byKey.delete(key);
    this.onChange(key);
  }

  /** Forgets `key` here only (another process removed the identity and its record). */
  dropLocal(key: string): void {
    this.byKey.delete(key);
  }

  get(key: string): Presence {
    return this.byKey.get(key) ?? OFFLINE;
  }

  /** `filters`: the subscriptions of a persistent session it carries on (a cluster's processes keep them in the record). */
  connected(deviceId: string, moduleId?: string, filters: readonly string[] = []): void {
    const now = formatTimestamp(this.clock.now());
    const shared = this.owner ? { owner: this.owner, ...(filters.length > 0 ? { filters: [...filters] } : {}) } : {};
    this.set(identityKey(deviceId, moduleId), { connectionState: 'Connected', connectionStateUpdatedTime: now, lastActivityTime: now, ...shared });
  }

  /** Keeps what a persistent session subscribed to in the shared record, for the process it reconnects to (cluster only). */
  subscribed(key: string, filters: readonly string[]): void {
    const current = this.byKey.get(key);
    if (!this.owner || !current || current.owner !== this.owner) return;
    const { filters: _previous, ...rest } = current;
    this.set(key, filters.length > 0 ? { ...rest, filters: [...filters] } : rest);
  }

  disconnected(deviceId: string, moduleId?: string): void {
    const key = identityKey(deviceId, moduleId);
    const current = this.byKey.get(key);
    if (!current) return;
    // The identity connected to another process since (it took the connection over): its record stays.
    if (this.heldElsewhere(key)) return;
    this.set(key, { ...current, connectionState: 'Disconnected', connectionStateUpdatedTime: formatTimestamp(this.clock.now()) });
  }

  /** Stamps the last activity; `notify` false when the caller's own write that follows reports the change. */
  activity(deviceId: string, moduleId?: string, notify = true): void {
    const key = identityKey(deviceId, moduleId);
    const current = this.byKey.get(key);
    if (!current) return;
    current.lastActivityTime = formatTimestamp(this.clock.now());
    if (notify) this.onChange(key);
  }

  /**
   * Stamps the last activity of an identity that holds no connection (a device HTTPS call): it stays
   * Disconnected, as on the real service, and gets a record if it had none. Callers have just found the identity registered.
   */
  touched(deviceId: string, moduleId?: string): void {
    const key = identityKey(deviceId, moduleId);
    const current = this.byKey.get(key);
    if (current) return this.activity(deviceId, moduleId);
    this.byKey.set(key, { ...OFFLINE, lastActivityTime: formatTimestamp(this.clock.now()) });
    this.onChange(key);
  }

  forget(key: string): void {
    this.byKey.delete(key);
    this.save(() => this.saved?.delete(key));
  }

  clear(): void {
    this.byKey.clear();
    this.saved?.clear();
  }

  private set(key: string, presence: Presence): void {
    this.byKey.set(key, presence);
    this.save(() => this.saved?.put(key, { ...presence }));
    this.onChange(key);
  }

  /**
   * Saving is for the next start only: a store refusing writes (disk full, reported by the store)
   * must not refuse a CONNECT, nor leave a deleted identity half forgotten.
   */
  private save(write: () => void): void {
    try {
      write();
    } catch {
      // the store has reported it; memory stays right
    }
  }
}
