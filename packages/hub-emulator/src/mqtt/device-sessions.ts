import type { Client } from 'aedes';
import { classifySubscription, identityKey, IOTHUB_CHANNEL_FILTERS, type Logger } from '@hubemu/shared';
import type { ConnectionAuth } from '../events.js';
import { MAX_PENDING_OUTBOUND_BYTES } from './packet-limits.js';

/** What the hub stamps on a session's telemetry (iothub-messaging.md §8): how it authenticated, its generation and announced model. */
export interface SessionStamp {
  auth: ConnectionAuth;
  generationId: string;
  modelId?: string;
}

export interface Session {
  key: string;
  deviceId: string;
  moduleId?: string;
  client: Client;
  transport: string;
  /** The filters granted to this connection, recorded as each SUBSCRIBE (or restored subscription) is authorised. */
  filters: Set<string>;
  stamp: SessionStamp;
}

type Channel = keyof typeof IOTHUB_CHANNEL_FILTERS | 'cloudToDevice';

/**
 * The one live connection per identity, and what each has subscribed to. Filters are recorded when
 * aedes authorises them, in packet order (restored CleanSession=0 subscriptions are authorised too),
 * so a request that follows its SUBSCRIBE in the same TCP read already counts as subscribed.
 */
export class DeviceSessions {
  private readonly byKey = new Map<string, Session>();
  private readonly byClient = new WeakMap<Client, Session>();

  /** `onChange(key)` runs when an identity becomes live or subscribes (the device links' waiters re-check). */
  constructor(private readonly onChange: (key: string) => void = () => {}) {}

  /** Binds an authenticated client to its identity (before CONNACK; restored subscriptions need it). */
  bind(client: Client, deviceId: string, moduleId: string | undefined, transport: string, stamp: SessionStamp): Session {
    const session: Session = { key: identityKey(deviceId, moduleId), deviceId, client, transport, filters: new Set(), stamp, ...(moduleId === undefined ? {} : { moduleId }) };
    this.byClient.set(client, session);
    return session;
  }

  /** Makes a bound client its identity's live connection (after CONNACK). */
  activate(client: Client): Session | undefined {
    const session = this.byClient.get(client);
    if (!session) return undefined;
    this.byKey.set(session.key, session);
    this.onChange(session.key);
    return session;
  }

  /** Forgets the client; returns its session only if it was still the identity's live connection. */
  detach(client: Client): Session | undefined {
    const session = this.byClient.get(client);
    if (!session) return undefined;
    this.byClient.delete(client);
    if (this.byKey.get(session.key)?.client !== client) return undefined;
    this.byKey.delete(session.key);
    return session;
  }

  ofClient(client: Client): Session | undefined {
    return this.byClient.get(client);
  }

  get(key: string): Session | undefined {
    return this.byKey.get(key);
  }

  get size(): number {
    return this.byKey.size;
  }

  all(): IterableIterator<Session> {
    return this.byKey.values();
  }

  /** Records a filter aedes is about to grant to `client`. */
  granted(client: Client, filter: string): void {
    this.byClient.get(client)?.filters.add(filter);
  }

  /** Forgets filters the client unsubscribed from. */
  revoked(client: Client, filters: readonly string[]): void {
    const session = this.byClient.get(client);
    for (const filter of filters) session?.filters.delete(filter);
  }

  /** The topic filters the identity's live connection is subscribed to. */
  filters(key: string): string[] {
    return [...(this.byKey.get(key)?.filters ?? [])];
  }

  isSubscribed(key: string, channel: Channel): boolean {
    const session = this.byKey.get(key);
    if (session === undefined) return false;
    // The C2D filter names the device (and may be kept %-escaped: brokerSafeC2dFilter).
    if (channel === 'cloudToDevice') return session.moduleId === undefined && [...session.filters].some((f) => classifySubscription(f, session.deviceId) === 'cloudToDevice');
    return IOTHUB_CHANNEL_FILTERS[channel].some((f) => session.filters.has(f));
  }

  /** Called when a client subscribed, so waiters (method calls with a connect timeout) re-check. */
  subscribed(client: Client): void {
    const session = this.byClient.get(client);
    if (session) this.onChange(session.key);
  }
}

/**
 * A device that does not read cannot make the hub hold its traffic without end: past
 * MAX_PENDING_OUTBOUND_BYTES waiting in its outgoing buffer, its connection is closed. True when it was.
 */
export function closeIfNotReading(session: Session, logger: Logger): boolean {
  const pending = session.client.conn.writableLength;
  if (pending <= MAX_PENDING_OUTBOUND_BYTES) return false;
  logger.warn({ deviceId: session.deviceId, moduleId: session.moduleId, pending }, 'the device does not read what it is sent; closing the connection');
  session.client.close();
  return true;
}
