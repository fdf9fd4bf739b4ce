import { once } from 'node:events';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer } from 'node:tls';
import type { Express } from 'express';
import { createHubServer } from './http/server.js';
import type { HubOptions } from '@hubemu/shared';
import type { WebSocket } from 'ws';

export interface HubPorts {
  mqtt: number;
  https: number;
  /** AMQP over TLS (C2D sends, feedback, the Event Hubs-compatible endpoint). */
  amqp: number;
  mqttPlain?: number;
  http?: number;
  /** Plain AMQP, when `amqpPlainPort` is set. */
  amqpPlain?: number;
}

/** Where the listeners hand connections: the MQTT broker, the AMQP plane (sockets and WebSockets). */
export interface ConnectionHandlers {
  mqtt: (stream: Duplex, req?: IncomingMessage) => void;
  amqp: (socket: Duplex) => void;
  amqpWebSocket: (ws: WebSocket) => void;
}

export interface Listeners {
  ports: HubPorts;
  /** Closes every listener and ends the connections still open. */
  close(): Promise<void>;
}

type Server = NetServer | HttpServer;

/**
 * Tracks a server's sockets (so close() can end them) and sets TCP_NODELAY on each. A TLS server
 * only reports a failed or timed-out handshake (`tlsClientError`) and leaves the socket open, so the
 * socket is destroyed here: one that never sends a ClientHello is closed after `tlsHandshakeMs`.
 */
function trackSockets<S extends Server>(server: S): { server: S; destroySockets: () => void } {
  const sockets = new Set<Socket>();
  server.on('tlsClientError', (_error: Error, socket: Duplex) => socket.destroy());
  server.on('connection', (socket: Socket) => {
    // Small request/response packets: without TCP_NODELAY, Nagle's algorithm holds CONNACKs and twin responses back ~40 ms.
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return { server, destroySockets: () => sockets.forEach((socket) => socket.destroy()) };
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  server.listen(port, host);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function describeListenError(error: unknown): Error {
  const e = error as NodeJS.ErrnoException & { port?: number };
  if (e.code === 'EACCES') return new Error(`Permission denied binding port ${e.port ?? ''}: ports below 1024 need root (or use --https-port 8443).`);
  if (e.code === 'EADDRINUSE') return new Error(`Port ${e.port ?? ''} is already in use: another hub may be running (or pick another port; 0 picks a free one).`);
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * Binds the hub's listeners: MQTT over TLS, HTTPS (REST API, WebSockets, health), AMQP over TLS, and
 * the optional plain MQTT, plain HTTP and plain AMQP ports. On a failure, whatever was already bound is closed again.
 */
export async function startListeners(options: HubOptions, tls: { key: string; cert: string }, app: Express, handlers: ConnectionHandlers): Promise<Listeners> {
  const handleMqtt = handlers.mqtt;
  // Processes of a cluster share their ticket keys, so a device resumes its TLS session on whichever one it reaches next.
  const ticketKeys = options.tlsTicketKeys === undefined ? {} : { ticketKeys: Buffer.from(options.tlsTicketKeys, 'base64') };
  const tlsOptions = { key: tls.key, cert: tls.cert, handshakeTimeout: options.timeouts.tlsHandshakeMs, ...ticketKeys };
  const bound: Array<{ server: Server; destroySockets: () => void }> = [];
  const close = async (): Promise<void> => {
    await Promise.all(
      bound.map(
        ({ server, destroySockets }) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            destroySockets();
          }),
      ),
    );
  };
  const bind = async (server: Server, port: number): Promise<number> => {
    if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
    const tracked = trackSockets(server);
    const actual = await listen(server, port, options.bindAddress);
    bound.push(tracked);
    return actual;
  };
  try {
    const ports: HubPorts = {
      mqtt: await bind(createTlsServer(tlsOptions, (socket) => handleMqtt(socket)), options.mqttPort),
      https: await bind(createHubServer(app, handleMqtt, options.timeouts, { ...tls, ...ticketKeys }, handlers.amqpWebSocket), options.httpsPort),
      amqp: await bind(createTlsServer(tlsOptions, (socket) => handlers.amqp(socket)), options.amqpPort),
    };
    if (options.mqttPlainPort !== undefined) ports.mqttPlain = await bind(createNetServer((socket) => handleMqtt(socket)), options.mqttPlainPort);
    if (options.httpPort !== undefined) ports.http = await bind(createHubServer(app, handleMqtt, options.timeouts, undefined, handlers.amqpWebSocket), options.httpPort);
    if (options.amqpPlainPort !== undefined) ports.amqpPlain = await bind(createNetServer((socket) => handlers.amqp(socket)), options.amqpPlainPort);
    return { ports, close };
  } catch (error) {
    await close();
    throw describeListenError(error);
  }
}
