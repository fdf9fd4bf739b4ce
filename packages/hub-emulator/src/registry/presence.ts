import { formatTimestamp, identityKey, type Clock } from '@hubemu/shared';
import { OFFLINE, type Presence } from './device-entry.js';

/** Connection state and last activity per identity, kept in memory (they change with every message). */
export class PresenceTracker {
  private readonly byKey = new Map<string, Presence>();

  constructor(
    private readonly clock: Clock,
    private readonly onChange: (key: string) => void,
  ) {}

  get(key: string): Presence {
    return this.byKey.get(key) ?? OFFLINE;
  }

  connected(deviceId: string, moduleId?: string): void {
    const now = formatTimestamp(this.clock.now());
    const key = identityKey(deviceId, moduleId);
    this.byKey.set(key, { connectionState: 'Connected', connectionStateUpdatedTime: now, lastActivityTime: now });
    this.onChange(key);
  }

  disconnected(deviceId: string, moduleId?: string): void {
    const key = identityKey(deviceId, moduleId);
    const current = this.byKey.get(key);
    if (!current) return;
    const now = formatTimestamp(this.clock.now());
    this.byKey.set(key, { ...current, connectionState: 'Disconnected', connectionStateUpdatedTime: now });
    this.onChange(key);
  }

  activity(deviceId: string, moduleId?: string): void {
    const key = identityKey(deviceId, moduleId);
    const current = this.byKey.get(key);
    if (!current) return;
    current.lastActivityTime = formatTimestamp(this.clock.now());
    this.onChange(key);
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }

  clear(): void {
    this.byKey.clear();
  }
}
