import type { Permission } from '@hubemu/shared';
import type { Connection, Receiver, Sender } from 'rhea';
import type { AudienceGrant } from '../auth/sas-authenticator.js';
import type { ConnectionGrants } from './connection-grants.js';

/** One AMQP connection as the link handlers see it. */
export interface AmqpConnectionContext {
  readonly id: string;
  readonly connection: Connection;
  readonly grants: ConnectionGrants;
}

/** What a route needs to open a link: the address's captures, the token that allowed it, the connection. */
export interface LinkOpen<L> {
  link: L;
  address: string;
  params: Readonly<Record<string, string>>;
  grant: AudienceGrant | undefined;
  conn: AmqpConnectionContext;
}

/** Undoes what a link set up (listeners, subscriptions) when it or its connection closes. */
export type LinkDispose = () => void;

interface RouteBase {
  /** Names the link kind in request events (`c2d.sender`, `eventhub.partition`). */
  name: string;
  /** Matched against the address (without an `amqps://host:port` prefix), case-insensitively; named groups become `params`. */
  pattern: RegExp;
  /**
   * The resource below the host a token must cover for the link to open (`messages/devicebound`), and
   * the permission it needs; absent for nodes open to everyone (`$cbs`).
   */
  auth?: { resource: (params: Readonly<Record<string, string>>) => string; permission: Permission };
}

/** The peer attaches a receiver: the hub sends (address = the link's source). */
export interface SenderRoute extends RouteBase {
  role: 'sender';
  /** Sets the link up, or throws a HubError to refuse it (the error's AMQP condition closes it). */
  open(open: LinkOpen<Sender>): LinkDispose | void;
}

/** The peer attaches a sender: the hub receives (address = the link's target). */
export interface ReceiverRoute extends RouteBase {
  role: 'receiver';
  open(open: LinkOpen<Receiver>): LinkDispose | void;
}

export type LinkRoute = SenderRoute | ReceiverRoute;

/** `amqps://host:5671/x/y` and `/x/y` address the same node: the scheme and authority are dropped. */
export function nodeAddress(address: string): string {
  return address.replace(/^amqps?:\/\/[^/]*/i, '').replace(/^wss?:\/\/[^/]*/i, '');
}

/** The first route of `role` whose pattern matches `address`, with its named captures. */
export function matchRoute<R extends LinkRoute>(routes: readonly R[], address: string): { route: R; params: Record<string, string> } | undefined {
  const node = nodeAddress(address);
  for (const route of routes) {
    const m = route.pattern.exec(node);
    if (m) return { route, params: { ...(m.groups ?? {}) } };
  }
  return undefined;
}

/** A refusal with its own AMQP condition (`amqp:link:stolen`), where the HubError's condition is not the one to send. */
export class LinkRefusal extends Error {
  constructor(
    readonly condition: string,
    readonly error: import('@hubemu/shared').HubError,
  ) {
    super(error.message);
  }
}
