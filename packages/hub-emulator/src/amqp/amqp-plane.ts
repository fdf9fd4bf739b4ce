import { hubNameOf, HubError, toHubError, type HubClock, type Logger } from '@hubemu/shared';
import rhea, { type Connection, type ConnectionOptions, type EventContext, type Receiver, type Sender } from 'rhea';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { SasAuthenticator } from '../auth/sas-authenticator.js';
import type { C2dSendSide } from '../c2d/c2d-types.js';
import type { EventHubLog } from '../event-hub/event-hub-types.js';
import type { HubEvents } from '../events.js';
import type { Admission } from '../faults/admission.js';
import { AMQP_CONDITIONS, amqpErrorOf } from './amqp-errors.js';
import { AmqpRequests } from './amqp-request.js';
import { c2dRoutes } from './c2d-routes.js';
import { cbsRoutes } from './cbs-node.js';
import { ConnectionGrants } from './connection-grants.js';
import { dropFramesAfterEnd } from './ended-channels.js';
import { eventHubRoutes } from './event-hub-routes.js';
import { LinkRefusal, matchRoute, type AmqpConnectionContext, type LinkDispose, type LinkRoute, type ReceiverRoute, type SenderRoute } from './link-routes.js';
import { webSocketTransport, type AmqpTransportSocket } from './websocket-transport.js';

export interface AmqpPlaneDeps {
  hostName: string;
  auth: SasAuthenticator;
  clock: HubClock;
  logger: Logger;
  events: HubEvents;
  admission: Pick<Admission, 'idle' | 'admit'>;
  /** The C2D core's send side; without it C2D and feedback links are refused (amqp:not-found). */
  c2d?: C2dSendSide | undefined;
  /** The event log; without it Event Hubs links are refused (amqp:not-found). */
  eventHub?: EventHubLog | undefined;
  /** A connection that has not opened (header, SASL, open) within this many real milliseconds is cut off. */
  openTimeoutMs?: number;
  /** The AMQP/TLS port a redirect names (known once the listeners are bound). */
  amqpPort?: () => number;
  /** More routes (the device side of AMQP, later), tried after the service ones. */
  extraRoutes?: readonly LinkRoute[];
}

/** The AMQP 1.0 endpoint: one container, every connection from the TLS, plain and WebSocket listeners. */
export interface AmqpPlane {
  /** A TLS or TCP socket of an AMQP port, right after its handshake. */
  handleSocket(socket: Duplex): void;
  /** An upgraded WebSocket whose subprotocol is AMQPWSB10 (`/$iothub/websocket`, `/$servicebus/websocket`). */
  handleWebSocket(ws: WebSocket): void;
  /** Connections open now. */
  connectionCount(): number;
  /** Closes every connection (amqp:connection:forced). */
  close(): Promise<void>;
}

interface ConnectionState extends AmqpConnectionContext {
  socket: AmqpTransportSocket;
  openTimer?: NodeJS.Timeout;
  links: Map<Sender | Receiver, LinkDispose>;
}

/**
 * Accepts AMQP connections with no SASL, ANONYMOUS or PLAIN (authentication is by `$cbs` tokens,
 * reference iothub-messaging.md §1.1), and routes each link attach through one table of address
 * patterns: refused with `amqp:not-found` when nothing matches, `amqp:unauthorized-access` when no
 * token on the connection covers it. A connection sending garbage is closed; the others carry on.
 */
export function createAmqpPlane(deps: AmqpPlaneDeps): AmqpPlane {
  const { hostName, clock, logger } = deps;
  const requests = new AmqpRequests(deps.events, clock);
  const routes: LinkRoute[] = [
    ...cbsRoutes({ auth: deps.auth, requests, logger }),
    ...c2dRoutes({ c2d: deps.c2d, admission: deps.admission, requests, clock, logger, hubName: hubNameOf(hostName) }),
    ...eventHubRoutes({ eventHub: deps.eventHub, requests, clock, hostName, amqpPort: deps.amqpPort ?? (() => 5671) }),
    ...(deps.extraRoutes ?? []),
  ];
  const senderRoutes = routes.filter((r): r is SenderRoute => r.role === 'sender');
  const receiverRoutes = routes.filter((r): r is ReceiverRoute => r.role === 'receiver');

  const container = rhea.create_container({ id: `hubemu:${hostName}` });
  container.sasl_server_mechanisms.enable_anonymous();
  // PLAIN credentials are not checked here: links still need a token on $cbs.
  container.sasl_server_mechanisms.enable_plain(() => true);
  // rhea raises some link and session errors on the container; without a listener they would throw.
  container.on('error', (error: unknown) => logger.debug({ err: error }, 'AMQP error'));

  const open = new Map<Connection, ConnectionState>();
  let nextId = 1;

  const disposeLink = (state: ConnectionState, link: Sender | Receiver): void => {
    const dispose = state.links.get(link);
    if (!dispose) return;
    state.links.delete(link);
    try {
      dispose();
    } catch (error) {
      logger.error({ err: error, connection: state.id }, 'AMQP link cleanup failed');
    }
  };

  const forget = (state: ConnectionState): void => {
    clearTimeout(state.openTimer);
    if (!open.delete(state.connection)) return;
    for (const link of [...state.links.keys()]) disposeLink(state, link);
    state.grants.dispose();
  };

  const attach = (state: ConnectionState, link: Sender | Receiver, role: 'sender' | 'receiver'): void => {
    const terminus = role === 'sender' ? link.source : link.target;
    const address = typeof terminus?.address === 'string' ? terminus.address : '';
    const refuse = (condition: string, error: HubError, principal?: string): void => {
      link.close({ condition, description: error.message });
      requests.emit({ operation: 'link.attach', address, error, ...(principal ? { principal } : {}) });
    };
    const matched = role === 'sender' ? matchRoute(senderRoutes, address) : matchRoute(receiverRoutes, address);
    if (!matched) return refuse(AMQP_CONDITIONS.notFound, new HubError('NotFound', `The node '${address}' does not exist on this hub.`));
    const { route, params } = matched;
    const resource = route.auth ? `${hostName}/${route.auth.resource(params)}` : undefined;
    const grant = route.auth && resource ? state.grants.find(resource, route.auth.permission) : undefined;
    if (route.auth && !grant) {
      return refuse(AMQP_CONDITIONS.unauthorized, new HubError('IotHubUnauthorized', `No token put on $cbs of this connection authorises '${address}' (${route.auth.permission} on ${resource}).`));
    }
    let dispose: LinkDispose | void;
    try {
      const opening = { address, params, grant, conn: state };
      dispose = route.role === 'sender' ? route.open({ ...opening, link: link as Sender }) : route.open({ ...opening, link: link as Receiver });
    } catch (thrown) {
      if (thrown instanceof LinkRefusal) return refuse(thrown.condition, thrown.error, grant?.principal);
      const error = toHubError(thrown);
      return refuse(amqpErrorOf(error).condition, error, grant?.principal);
    }
    // Echo the terminus: the SDKs treat a null one as a refused link.
    if (role === 'sender') link.set_source({ address });
    else link.set_target({ address });
    const stopWatch =
      route.auth && resource && grant
        ? state.grants.watch(resource, route.auth.permission, grant, () => {
            link.close({ condition: AMQP_CONDITIONS.unauthorized, description: 'The token that authorised this link expired.' });
            disposeLink(state, link);
          })
        : undefined;
    state.links.set(link, () => {
      stopWatch?.();
      dispose?.();
    });
    requests.emit({ operation: 'link.attach', address, ...(grant ? { principal: grant.principal } : {}) });
  };

  const accept = (socket: AmqpTransportSocket): void => {
    const connection = container.create_connection({ autoaccept: false } as unknown as ConnectionOptions);
    const state: ConnectionState = { id: `amqp-${nextId++}`, connection, socket, grants: new ConnectionGrants(clock), links: new Map() };
    dropFramesAfterEnd(connection, (frame, channel) => logger.debug({ connection: state.id, frame, channel }, 'AMQP frame on an ended session: dropped'));
    open.set(connection, state);
    const linkOf = (ctx: EventContext): Sender | Receiver | undefined => ctx.sender ?? ctx.receiver;
    const failed = (what: string) => (e: unknown) => {
      const error = (e as { error?: unknown })?.error ?? e;
      logger.debug({ connection: state.id, err: error }, `AMQP ${what}: connection closed`);
      // rhea ends the socket; a peer that never closes its side is cut off.
      setImmediate(() => socket.destroy());
      forget(state);
    };
    // A socket that never gets as far as an AMQP open holds nothing worth keeping. Like the other
    // listeners' bounds this runs on real time, whatever the hub's clock (a test clock stands still).
    const openTimer = setTimeout(() => {
      if (connection.is_remote_open()) return;
      logger.debug({ connection: state.id }, 'AMQP connection did not open in time: closed');
      socket.destroy();
      forget(state);
    }, deps.openTimeoutMs ?? 30_000);
    openTimer.unref();
    state.openTimer = openTimer;
    connection.on('connection_open', () => clearTimeout(openTimer));
    connection.on('sender_open', (ctx: EventContext) => ctx.sender && attach(state, ctx.sender, 'sender'));
    connection.on('receiver_open', (ctx: EventContext) => ctx.receiver && attach(state, ctx.receiver, 'receiver'));
    for (const event of ['sender_close', 'receiver_close'] as const) {
      connection.on(event, (ctx: EventContext) => {
        const link = linkOf(ctx);
        if (link) disposeLink(state, link);
      });
    }
    connection.on('sender_error', () => undefined);
    connection.on('receiver_error', () => undefined);
    connection.on('session_close', (ctx: EventContext) => {
      for (const link of [...state.links.keys()]) if (link.session === ctx.session) disposeLink(state, link);
    });
    connection.on('session_error', () => undefined);
    connection.on('protocol_error', failed('protocol error'));
    connection.on('error', failed('error'));
    connection.on('connection_error', () => undefined);
    connection.on('connection_close', () => forget(state));
    connection.on('disconnected', () => forget(state));
    socket.on('close', () => forget(state));
    (connection as Connection & { accept(socket: unknown): Connection }).accept(socket);
  };

  return {
    handleSocket: (socket) => accept(socket as unknown as AmqpTransportSocket),
    handleWebSocket: (ws) => accept(webSocketTransport(ws)),
    connectionCount: () => open.size,
    async close() {
      for (const state of [...open.values()]) {
        try {
          state.connection.close({ condition: 'amqp:connection:forced', description: 'The hub is stopping.' });
        } catch {
          // Its socket is already gone.
        }
        forget(state);
      }
    },
  };
}
