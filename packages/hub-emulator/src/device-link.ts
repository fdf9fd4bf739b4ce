import type { Scheduler } from '@hubemu/shared';
import type { C2dLockedMessage } from './c2d/c2d-types.js';

/** What a connected identity can be reached for: the channel it must have subscribed to (or opened). */
export type LinkChannel = 'methodRequests' | 'desiredPatches' | 'cloudToDevice';

/** A direct-method call on its way to a device. */
export interface MethodDelivery {
  methodName: string;
  rid: string;
  /** The JSON payload, already serialised. */
  payload: string;
}

/**
 * How services reach a connected identity, whatever plane it came in on (MQTT today; AMQP and HTTPS
 * for C2D later). A plane implements it for the identities connected to it; identities are keys
 * `{deviceId}` or `{deviceId}/{moduleId}` (`identityKey`).
 */
export interface DeviceLink {
  /** Whether the identity is connected on this plane. */
  isConnected(key: string): boolean;
  /** Whether the identity is connected here and can receive `channel`. */
  canReceive(key: string, channel: LinkChannel): boolean;
  /** Sends a method request; the device's answer comes back through `MethodService.onResponse`. */
  deliverMethod(key: string, request: MethodDelivery): void;
  /**
   * Pushes a locked C2D message to a device that can receive `cloudToDevice`; the plane settles it
   * (`C2dService.complete` on the device's acknowledgement, `release` when the device goes away).
   * False when it could not be sent (the service then returns it to the queue). Planes whose devices
   * poll (HTTPS) leave it out.
   */
  deliverC2d?(key: string, delivery: C2dLockedMessage): boolean;
  /** Drops the identity's connection; false when it was not connected here. */
  disconnect(key: string): boolean;
  /** The identities connected on this plane. */
  connected(): Iterable<string>;
  /** True for the link to identities connected to other processes of a cluster (docs/scale-out.md). */
  readonly remote?: boolean;
}

/**
 * The planes' links in one place for the services, with waiting: a service may wait until an
 * identity connects and subscribes (a method's connect timeout). Planes call `changed(key)` whenever an
 * identity connects or subscribes.
 */
export class DeviceLinks {
  private readonly links: DeviceLink[] = [];
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly listeners = new Set<(key: string) => void>();

  /** `scheduler` times the waits (the hub's clock). */
  constructor(private readonly scheduler: Scheduler) {}

  register(link: DeviceLink): void {
    this.links.push(link);
  }

  /** The link that can reach `key` on `channel` (or, without a channel, where it is connected). */
  find(key: string, channel?: LinkChannel): DeviceLink | undefined {
    return this.links.find((link) => (channel === undefined ? link.isConnected(key) : link.canReceive(key, channel)));
  }

  isConnected(key: string): boolean {
    return this.find(key) !== undefined;
  }

  /** The identities connected on any plane. */
  connectedKeys(): string[] {
    return this.links.flatMap((link) => [...link.connected()]);
  }

  /** Drops the identity's connection on every plane; true when it had one. */
  disconnect(key: string): boolean {
    let dropped = false;
    for (const link of this.links) dropped = link.disconnect(key) || dropped;
    return dropped;
  }

  /** Drops the identity's connection to this process only (it connected to another process of the cluster). */
  disconnectHere(key: string): boolean {
    let dropped = false;
    for (const link of this.links) if (!link.remote) dropped = link.disconnect(key) || dropped;
    return dropped;
  }

  /** Tells waiters and listeners that `key` connected or subscribed. */
  changed(key: string): void {
    const set = this.waiters.get(key);
    if (set) for (const check of [...set]) check();
    for (const listener of [...this.listeners]) listener(key);
  }

  /** Calls `listener(key)` whenever an identity connects or subscribes (C2D delivers what waits); returns the unsubscribe. */
  onChange(listener: (key: string) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Resolves with the link once `key` can receive `channel`, or undefined after `timeoutMs`. */
  waitFor(key: string, channel: LinkChannel, timeoutMs: number): Promise<DeviceLink | undefined> {
    const now = this.find(key, channel);
    if (now || timeoutMs <= 0) return Promise.resolve(now);
    return new Promise((resolve) => {
      const set = this.waiters.get(key) ?? new Set<() => void>();
      this.waiters.set(key, set);
      const done = (link: DeviceLink | undefined): void => {
        timer.cancel();
        set.delete(check);
        if (set.size === 0) this.waiters.delete(key);
        resolve(link);
      };
      const check = (): void => {
        const link = this.find(key, channel);
        if (link) done(link);
      };
      const timer = this.scheduler.after(timeoutMs, () => done(undefined));
      set.add(check);
    });
  }
}
