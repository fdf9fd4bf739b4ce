import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { HubError, ManualClock, signSasToken, silentLogger, toHubClock, systemClock, WELL_KNOWN_POLICIES, type HubClock } from '@hubemu/shared';
import rhea, { type Connection, type EventContext, type Message, type Receiver, type ReceiverOptions, type Sender, type SenderOptions } from 'rhea';
import { SasAuthenticator } from '../auth/sas-authenticator.js';
import type { C2dMessage, C2dSendInput, C2dSendSide, FeedbackBatch, FeedbackQueue } from '../c2d/c2d-types.js';
import type { EventHubLog, EventPosition, HubEvent, PartitionInfo } from '../event-hub/event-hub-types.js';
import { HubEvents, type RequestEvent } from '../events.js';
import { createAmqpPlane, type AmqpPlane } from './amqp-plane.js';

export const HOST = 'kit-hub.example.test';
export const policy = (name: string) => {
  const p = WELL_KNOWN_POLICIES.find((x) => x.name === name);
  if (!p) throw new Error(name);
  return p;
};

/** A small C2D side: queues per device, a full device, and a feedback queue the test fills. */
export class KitC2d implements C2dSendSide {
  readonly sent: C2dSendInput[] = [];
  readonly batches: FeedbackBatch[] = [];
  readonly settled: Array<[string, string]> = [];
  private listeners = new Set<() => void>();
  private locked = new Map<string, FeedbackBatch>();
  send(input: C2dSendInput): C2dMessage {
    if (input.deviceId === 'missing') throw new HubError('DeviceNotFound', `Device '${input.deviceId}' not found.`);
    if (input.deviceId === 'full') throw new HubError('DeviceMaximumQueueDepthExceeded', 'The queue holds 50 messages.');
    this.sent.push(input);
    return { ...input, sequenceNumber: this.sent.length, enqueuedAtMs: Date.now(), expiresAtMs: input.expiresAtMs ?? Date.now() + 3600_000, deliveryCount: 0, deviceGenerationId: '1', senderSetExpiry: input.expiresAtMs !== undefined };
  }
  readonly feedback: FeedbackQueue = {
    take: () => {
      const batch = this.batches.shift();
      if (batch) this.locked.set(batch.lockToken, batch);
      return batch;
    },
    complete: (t) => void this.settled.push(['complete', t]),
    abandon: (t) => void this.settled.push(['abandon', t]),
    reject: (t) => void this.settled.push(['reject', t]),
    onAvailable: (l) => {
      this.listeners.add(l);
      return () => this.listeners.delete(l);
    },
  };
  addFeedback(batch: FeedbackBatch): void {
    this.batches.push(batch);
    for (const l of this.listeners) l();
  }
}

/** A small event log: partitions as arrays, every event kept. */
export class KitEventLog implements EventHubLog {
  readonly name = HOST.split('.')[0] as string;
  readonly partitionCount = 2;
  readonly createdAtMs = Date.UTC(2026, 0, 1);
  private readonly parts: HubEvent[][] = [[], []];
  private readonly listeners = new Set<(e: HubEvent) => void>();
  hasConsumerGroup(name: string): boolean {
    return ['$default', 'audit'].includes(name.toLowerCase());
  }
  /** The kit's groups are fixed: nothing is ever deleted. */
  onConsumerGroupDeleted(): () => void {
    return () => undefined;
  }
  partitionInfo(partition: number): PartitionInfo {
    const events = this.parts[partition] ?? [];
    const last = events[events.length - 1];
    return {
      partition,
      beginSequenceNumber: events[0]?.sequenceNumber ?? 0,
      lastEnqueuedSequenceNumber: last?.sequenceNumber ?? -1,
      lastEnqueuedOffset: last?.offset ?? '-1',
      lastEnqueuedTimeMs: last?.enqueuedTimeMs ?? 0,
      isEmpty: !last,
    };
  }
  startOf(partition: number, position: EventPosition): number {
    const events = this.parts[partition] ?? [];
    const end = events.length;
    switch (position.kind) {
      case 'earliest':
        return 0;
      case 'latest':
        return end;
      case 'sequenceNumber':
        return position.inclusive ? position.value : position.value + 1;
      case 'offset': {
        const i = events.findIndex((e) => (position.inclusive ? BigInt(e.offset) >= BigInt(position.value) : BigInt(e.offset) > BigInt(position.value)));
        return i < 0 ? end : i;
      }
      case 'enqueuedTime': {
        const i = events.findIndex((e) => (position.inclusive ? e.enqueuedTimeMs >= position.valueMs : e.enqueuedTimeMs > position.valueMs));
        return i < 0 ? end : i;
      }
    }
  }
  /** The highest sequence number the plane has read, per partition: how far a reader got out of the log. */
  readonly readUpTo = new Map<number, number>();
  read(partition: number, from: number, max: number): HubEvent[] {
    const events = (this.parts[partition] ?? []).slice(from, from + max);
    const last = events[events.length - 1];
    if (last) this.readUpTo.set(partition, Math.max(this.readUpTo.get(partition) ?? -1, last.sequenceNumber));
    return events;
  }
  onAppend(listener: (event: HubEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  append(partition: number, deviceId: string, body: string, extra: Partial<HubEvent> = {}): HubEvent {
    const events = this.parts[partition] as HubEvent[];
    const seq = events.length;
    const event: HubEvent = {
      partition,
      sequenceNumber: seq,
      offset: String(seq * 1000),
      enqueuedTimeMs: Date.UTC(2026, 0, 1, 0, 0, seq),
      deviceId,
      messageSource: 'Telemetry',
      annotations: { 'iothub-connection-auth-method': '{"scope":"device","type":"sas","issuer":"iothub","acceptingIpFilterRule":null}' },
      properties: {},
      body: Buffer.from(body),
      ...extra,
    };
    events.push(event);
    for (const l of this.listeners) l(event);
    return event;
  }
}

export interface Kit {
  plane: AmqpPlane;
  port: number;
  c2d: KitC2d;
  log: KitEventLog;
  requests: RequestEvent[];
  clock: HubClock;
  close(): Promise<void>;
}

/** The AMQP plane alone on a plain TCP port 0, over the kit's C2D side and event log. */
export async function startKit(options: { clock?: ManualClock; openTimeoutMs?: number } = {}): Promise<Kit> {
  const clock = options.clock ?? toHubClock(systemClock);
  const events = new HubEvents();
  const requests: RequestEvent[] = [];
  events.on('request', (e) => requests.push(e));
  const c2d = new KitC2d();
  const log = new KitEventLog();
  const auth = new SasAuthenticator(HOST, WELL_KNOWN_POLICIES, () => undefined, clock);
  const plane = createAmqpPlane({ hostName: HOST, auth, clock, logger: silentLogger, events, admission: { idle: true, admit: () => undefined }, c2d, eventHub: log, ...(options.openTimeoutMs ? { openTimeoutMs: options.openTimeoutMs } : {}) });
  const server: Server = createServer((socket) => plane.handleSocket(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    plane,
    port: (server.address() as AddressInfo).port,
    c2d,
    log,
    requests,
    clock,
    async close() {
      await plane.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A rhea client connection (rhea 3, as @azure/core-amqp uses). */
export async function connect(port: number, options: Record<string, unknown> = {}): Promise<Connection> {
  const container = rhea.create_container();
  container.on('error', () => undefined);
  const connection = container.connect({ port, host: '127.0.0.1', reconnect: false, ...options } as never);
  connection.on('connection_error', () => undefined);
  connection.on('disconnected', () => undefined);
  await once(connection, 'connection_open');
  return connection;
}

export type Attached<L> = { link: L; error?: undefined } | { link: L; error: { condition: string; description?: string; info?: Record<string, unknown> } };

/** Attaches and waits until the hub accepted the link (remote terminus set) or closed it with an error. */
function settleAttach<L extends Sender | Receiver>(link: L, kind: 'sender' | 'receiver'): Promise<Attached<L>> {
  return new Promise((resolve) => {
    let opened = false;
    link.on(`${kind}_open`, () => {
      opened = true;
      // A refusal is an attach with a null terminus followed by a detach: wait a turn for the detach.
      setTimeout(() => {
        if (!link.is_closed()) resolve({ link });
      }, 50);
    });
    link.on(`${kind}_error`, (ctx: EventContext) => {
      const error = (ctx[kind] as L | undefined)?.error as { condition: string; description?: string; info?: Record<string, unknown> } | undefined;
      resolve({ link, error: error ?? { condition: 'unknown' } });
    });
    link.on(`${kind}_close`, () => {
      if (!opened) resolve({ link, error: { condition: 'closed' } });
    });
  });
}

export function attachReceiver(connection: Connection, options: ReceiverOptions): Promise<Attached<Receiver>> {
  return settleAttach(connection.open_receiver(options), 'receiver');
}

export function attachSender(connection: Connection, options: SenderOptions): Promise<Attached<Sender>> {
  return settleAttach(connection.open_sender(options), 'sender');
}

/** Puts a token on `$cbs` and resolves with the answer's status code and description. */
const cbsLinks = new WeakMap<Connection, Promise<[Receiver, Sender]>>();

export async function putToken(connection: Connection, audience: string, token: string): Promise<{ status: unknown; description: unknown }> {
  // One pair of $cbs links per connection, as the SDKs keep.
  let links = cbsLinks.get(connection);
  if (!links) {
    links = Promise.all([attachReceiver(connection, { source: { address: '$cbs' }, target: { address: 'cbs-client' } }), attachSender(connection, { target: { address: '$cbs' } })]).then(([r, s]) => [r.link, s.link]);
    cbsLinks.set(connection, links);
  }
  const [replies, requests] = await links;
  const id = rhea.generate_uuid();
  const answer = new Promise<Message>((resolve) => {
    replies.on('message', (ctx: EventContext) => {
      if (ctx.message?.correlation_id === id) resolve(ctx.message);
    });
  });
  requests.send({ message_id: id, reply_to: 'cbs', to: '$cbs', application_properties: { operation: 'put-token', type: 'servicebus.windows.net:sastoken', name: audience }, body: token });
  const message = await answer;
  return { status: message.application_properties?.['status-code'], description: message.application_properties?.['status-description'] };
}

/** A service policy token for `resource`, signed as azure-iothub signs (base64-decoded key) or as @azure/event-hubs does (UTF-8 key). */
export function serviceToken(resource: string, policyName = 'service', options: { keyBytes?: 'base64' | 'utf8'; expirySeconds?: number } = {}): string {
  const p = policy(policyName);
  const se = options.expirySeconds ?? Math.floor(Date.now() / 1000) + 3600;
  if (options.keyBytes === 'utf8') {
    const sr = encodeURIComponent(resource);
    const sig = encodeURIComponent(createHmac('sha256', p.primaryKey).update(`${sr}\n${se}`).digest('base64'));
    return `SharedAccessSignature sr=${sr}&sig=${sig}&se=${se}&skn=${p.name}`;
  }
  return signSasToken(resource, p.primaryKey, se, p.name);
}

/** Sends one message and resolves with the hub's disposition and its error condition. */
export function settle(link: Sender, message: Message): Promise<{ state: string; condition?: string }> {
  return new Promise((resolve) => {
    const delivery = link.send(message);
    const on = (state: string) => (ctx: EventContext) => {
      if (ctx.delivery !== delivery) return;
      const remote = (ctx.delivery as unknown as { remote_state?: { error?: { condition: string } } }).remote_state;
      resolve({ state, ...(remote?.error ? { condition: remote.error.condition } : {}) });
    };
    link.on('accepted', on('accepted'));
    link.on('rejected', on('rejected'));
    link.on('released', on('released'));
  });
}

export { rhea };
