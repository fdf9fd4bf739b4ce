import { ERROR_CODES, HubError, type ErrorCodeName, type Logger } from '@hubemu/shared';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { DeviceLink, DeviceLinks, LinkChannel, MethodDelivery } from '../device-link.js';
import type { MethodService } from '../methods/method-service.js';
import type { DeviceTable } from '../registry/device-table.js';
import type { ClusterMembership } from './process-registry.js';
import { closePubSub, openPubSub, parseMessage } from './pub-sub.js';
import { errorText } from '../store/log-writes.js';

/** What the processes of a cluster say to each other, one Redis pub/sub channel per process; checked on arrival. */
const BusMessageSchema = z.discriminatedUnion('kind', [
  /** Call a method on a device connected to the receiving process. */
  z.object({ kind: z.literal('method'), from: z.string(), key: z.string(), rid: z.string(), methodName: z.string(), payload: z.string() }),
  /** The device's answer, back to the process that made the call (`body` base64). */
  z.object({ kind: z.literal('methodResult'), key: z.string(), rid: z.string(), status: z.number().int(), body: z.string() }),
  /** The call could not reach the device, or the device went away before it answered. */
  z.object({ kind: z.literal('methodFailed'), key: z.string(), rid: z.string(), errorCode: z.string(), message: z.string() }),
  /** Drop the identity's connection (a registry delete or disable, a test control). */
  z.object({ kind: z.literal('disconnect'), key: z.string() }),
]);
type BusMessage = z.infer<typeof BusMessageSchema>;

/** A call this process carries to a device for another process. */
interface Relayed {
  from: string;
  key: string;
  rid: string;
}

export interface ClusterLinkDeps {
  url: string;
  namespace: string;
  membership: ClusterMembership;
  table: DeviceTable;
  links: DeviceLinks;
  methods: MethodService;
  logger: Logger;
}

/**
 * The device link to identities connected to the other processes of a cluster (docs/scale-out.md): a
 * direct method invoked here travels over Redis pub/sub to the process holding the device, which
 * delivers it through its own plane and sends the answer back; a disconnect goes the same way. The
 * presence records say who holds which identity; a process whose liveness key expired holds nothing.
 */
export class ClusterLink implements DeviceLink {
  readonly remote = true;
  private readonly prefix: string;
  private readonly relayed = new Map<string, Relayed>();
  private nextRid = 1;

  private constructor(
    private readonly deps: ClusterLinkDeps,
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
  ) {
    this.prefix = `hubemu:{${deps.namespace}}:p:`;
  }

  static async open(deps: ClusterLinkDeps): Promise<ClusterLink> {
    const { publisher, subscriber } = await openPubSub(deps.url, `${deps.membership.processId}-link`);
    const link = new ClusterLink(deps, publisher, subscriber);
    await subscriber.subscribe(link.channel(deps.membership.processId));
    subscriber.on('message', (_channel: string, text: string) => link.receive(text));
    deps.methods.forwardOthers((key, rid, status, body) => link.answered(key, rid, status, body));
    // A device that goes away here leaves the calls relayed to it unanswered: fail them for their callers.
    deps.table.onChange((key) => link.maybeGone(key));
    return link;
  }

  private channel(processId: string): string {
    return `${this.prefix}${processId}`;
  }

  /** The process holding `key`, when it is another live one. */
  private ownerOf(key: string): string | undefined {
    const { presence } = this.deps.table;
    if (!presence.heldElsewhere(key)) return undefined;
    const owner = presence.get(key).owner;
    return owner !== undefined && this.deps.membership.isAlive(owner) ? owner : undefined;
  }

  isConnected(key: string): boolean {
    return this.ownerOf(key) !== undefined;
  }

  /** Methods only: whether the device subscribed is known to its process, which answers DeviceNotOnline when it has not. */
  canReceive(key: string, channel: LinkChannel): boolean {
    return channel === 'methodRequests' && this.isConnected(key);
  }

  deliverMethod(key: string, request: MethodDelivery): void {
    const owner = this.ownerOf(key);
    if (!owner) throw new HubError('DeviceNotOnline', 'Timed out waiting for device to connect.');
    this.send(owner, { kind: 'method', from: this.deps.membership.processId, key, rid: request.rid, methodName: request.methodName, payload: request.payload });
  }

  disconnect(key: string): boolean {
    const owner = this.ownerOf(key);
    if (!owner) return false;
    this.send(owner, { kind: 'disconnect', key });
    return true;
  }

  connected(): Iterable<string> {
    return [];
  }

  async close(): Promise<void> {
    await closePubSub({ publisher: this.publisher, subscriber: this.subscriber });
  }

  private send(processId: string, message: BusMessage): void {
    this.publisher.publish(this.channel(processId), JSON.stringify(message)).then(
      (receivers) => {
        // Nobody listens for that process (it died before this one saw it): the device is not online anywhere.
        if (receivers === 0 && message.kind === 'method') this.deps.methods.fail(message.key, message.rid, new HubError('DeviceNotOnline', 'Timed out waiting for device to connect.'));
      },
      (error: unknown) => {
        this.deps.logger.warn({ processId, kind: message.kind, err: errorText(error) }, 'could not reach another hub process');
      },
    );
  }

  private receive(text: string): void {
    const message = parseMessage(BusMessageSchema, text, this.deps.logger, 'a message from another hub process');
    if (!message) return;
    switch (message.kind) {
      case 'method':
        return this.relay(message);
      case 'methodResult':
        return this.deps.methods.onResponse(message.key, message.rid, message.status, Buffer.from(message.body, 'base64'));
      case 'methodFailed': {
        const code = message.errorCode in ERROR_CODES ? (message.errorCode as ErrorCodeName) : 'ServerError';
        return this.deps.methods.fail(message.key, message.rid, new HubError(code, message.message));
      }
      case 'disconnect':
        this.deps.links.disconnectHere(message.key);
        return;
    }
  }

  /** Another process's call to a device connected here: delivered through this process's plane under a rid of its own. */
  private relay(call: Extract<BusMessage, { kind: 'method' }>): void {
    const link = this.deps.links.find(call.key, 'methodRequests');
    if (!link || link.remote) {
      const reason = this.deps.links.isConnected(call.key) ? 'Timed out waiting for device to subscribe.' : 'Timed out waiting for device to connect.';
      return this.send(call.from, { kind: 'methodFailed', key: call.key, rid: call.rid, errorCode: 'DeviceNotOnline', message: reason });
    }
    // Not hex, so never one of the method service's own rids.
    const rid = `x${(this.nextRid++).toString(36)}`;
    this.relayed.set(`${call.key}\u0000${rid}`, { from: call.from, key: call.key, rid: call.rid });
    try {
      link.deliverMethod(call.key, { methodName: call.methodName, rid, payload: call.payload });
    } catch (error) {
      this.relayed.delete(`${call.key}\u0000${rid}`);
      const e = error instanceof HubError ? error : new HubError('ServerError', String(error));
      this.send(call.from, { kind: 'methodFailed', key: call.key, rid: call.rid, errorCode: e.errorCode, message: e.message });
    }
  }

  /** A device's answer to a relayed call: back to the process that made it. */
  private answered(key: string, rid: string, status: number, body: Buffer): void {
    const relayed = this.relayed.get(`${key}\u0000${rid}`);
    if (!relayed) return;
    this.relayed.delete(`${key}\u0000${rid}`);
    this.send(relayed.from, { kind: 'methodResult', key, rid: relayed.rid, status, body: body.toString('base64') });
  }

  private maybeGone(key: string): void {
    if (this.relayed.size === 0) return;
    const here = this.deps.links.find(key);
    if (here && !here.remote) return;
    for (const [id, relayed] of this.relayed) {
      if (relayed.key !== key) continue;
      this.relayed.delete(id);
      this.send(relayed.from, { kind: 'methodFailed', key, rid: relayed.rid, errorCode: 'DeviceConnectionClosedRemotely', message: 'The device disconnected before it answered the method call.' });
    }
  }
}
