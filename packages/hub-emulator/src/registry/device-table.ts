import { identityKey, isModuleKey, type Clock, type DeviceIdentity, type Twin } from '@hubemu/shared';
import type { Collection, EtagCondition } from '../store/collection.js';
import { renderIdentity, renderTwin, type DeviceEntry, type Presence } from './device-entry.js';
import { PresenceTracker } from './presence.js';

export interface TwinSource {
  list(): Iterable<Twin>;
  get(key: string): Twin | undefined;
}

/**
 * The identities collection with what every reader needs on top: rendered twins cached until the next
 * write or presence change, device/module listings, and one change hook for indexes and caches.
 */
export class DeviceTable {
  private readonly twinCache = new Map<string, Twin>();
  private readonly listeners: Array<(key: string, entry: DeviceEntry | undefined, remote: boolean) => void> = [];
  private readonly modules = new Map<string, Set<string>>();

  /** How many C2D messages an identity has pending; the C2D service provides it and calls `changed` when it moves. */
  private messageCount: (key: string) => number = () => 0;

  /** Connection state and last activity; a change drops the cached twin like a write does. */
  readonly presence: PresenceTracker;

  constructor(
    private readonly collection: Collection<DeviceEntry>,
    clock: Clock,
    savedPresence?: Collection<Presence>,
    /** On a hub of several processes, this process's name (presence records name the process holding a connection). */
    processId?: string,
  ) {
    this.presence = new PresenceTracker(clock, (key) => this.changed(key), savedPresence, processId);
    for (const entry of collection.values()) this.indexModule(entry, true);
  }

  /** Module ids of a device. */
  modulesOf(deviceId: string): string[] {
    return [...(this.modules.get(deviceId) ?? [])];
  }

  private indexModule(entry: DeviceEntry, present: boolean): void {
    if (entry.moduleId === undefined) return;
    let set = this.modules.get(entry.deviceId);
    if (present) {
      if (!set) this.modules.set(entry.deviceId, (set = new Set()));
      set.add(entry.moduleId);
    } else if (set) {
      set.delete(entry.moduleId);
      if (set.size === 0) this.modules.delete(entry.deviceId);
    }
  }

  /**
   * Where `cloudToDeviceMessageCount` comes from: read when an identity or twin is rendered, so a C2D
   * send or settle rewrites no identity record; its owner calls `changed(key)` when a count moves.
   */
  countMessages(count: (key: string) => number): void {
    this.messageCount = count;
  }

  /** Called after every write and presence change, with the new entry (undefined when deleted); `remote` when another hub process made the write. */
  onChange(listener: (key: string, entry: DeviceEntry | undefined, remote: boolean) => void): void {
    this.listeners.push(listener);
  }

  get(key: string): DeviceEntry | undefined {
    return this.collection.get(key);
  }

  get size(): number {
    return this.collection.size;
  }

  entries(): IterableIterator<DeviceEntry> {
    return this.collection.values();
  }

  put(key: string, entry: DeviceEntry, condition?: EtagCondition<DeviceEntry>): void {
    this.collection.put(key, entry, condition);
    this.indexModule(entry, true);
    this.changed(key);
  }

  delete(key: string, condition?: EtagCondition<DeviceEntry>): boolean {
    const current = this.collection.get(key);
    const deleted = this.collection.delete(key, condition);
    if (deleted && current) {
      this.indexModule(current, false);
      this.presence.forget(key);
      this.changed(key);
    }
    return deleted;
  }

  /** Another hub process wrote (or deleted) `key`, and the store has applied it here: indexes, caches and listeners follow as for a local write. */
  applyRemote(key: string, entry: DeviceEntry | undefined, previous: DeviceEntry | undefined): void {
    if (previous) this.indexModule(previous, false);
    if (entry) this.indexModule(entry, true);
    else this.presence.dropLocal(key);
    this.changed(key, true);
  }

  /** Drops cached views of `key` and tells the listeners. */
  changed(key: string, remote = false): void {
    this.twinCache.delete(key);
    const entry = this.collection.get(key);
    for (const listener of this.listeners) listener(key, entry, remote);
  }

  /** Forgets caches and indexes after the store was emptied (the embedded `reset()`). */
  cleared(): void {
    this.twinCache.clear();
    this.modules.clear();
  }

  twin(key: string): Twin | undefined {
    const cached = this.twinCache.get(key);
    if (cached) return cached;
    const entry = this.collection.get(key);
    if (!entry) return undefined;
    const twin = renderTwin(entry, this.presence.get(key), this.messageCount(key));
    this.twinCache.set(key, twin);
    return twin;
  }

  identity(key: string): DeviceIdentity | undefined {
    const entry = this.collection.get(key);
    return entry && renderIdentity(entry, this.presence.get(key), this.messageCount(key));
  }

  /** Device twins (no modules), for queries. */
  readonly deviceTwins: TwinSource = {
    list: () => this.listTwins(false),
    get: (key) => (isModuleKey(key) ? undefined : this.twin(key)),
  };

  /** Module twins, for `FROM devices.modules`. */
  readonly moduleTwins: TwinSource = {
    list: () => this.listTwins(true),
    get: (key) => (isModuleKey(key) ? this.twin(key) : undefined),
  };

  private *listTwins(modules: boolean): Iterable<Twin> {
    for (const entry of this.collection.values()) {
      if ((entry.moduleId !== undefined) !== modules) continue;
      const twin = this.twin(identityKey(entry.deviceId, entry.moduleId));
      if (twin) yield twin;
    }
  }
}
