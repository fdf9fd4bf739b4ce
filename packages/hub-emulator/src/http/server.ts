import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { MQTT_WEBSOCKET_PATH, type ConnectionTimeouts } from '@hubemu/shared';
import type { Express } from 'express';
import { createWebSocketStream, WebSocketServer, type WebSocket } from 'ws';
import { MAX_WEBSOCKET_MESSAGE_BYTES } from '../mqtt/packet-limits.js';

/** Where Event Hubs clients (`webSocketOptions`) open AMQP over WebSockets. */
export const SERVICEBUS_WEBSOCKET_PATH = '/$servicebus/websocket';
/** The AMQP over WebSockets subprotocol (azure-iothub's AmqpWs, @azure/event-hubs). */
export const AMQP_WEBSOCKET_PROTOCOL = 'AMQPWSB10';
/** Largest WebSocket message an AMQP connection may send: one frame of a 256 KB event and its headers, with room. */
const MAX_AMQP_WEBSOCKET_MESSAGE_BYTES = 1024 * 1024;

function offeredProtocols(header: string | undefined): string[] {
  return (header ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');
}

/**
 * An HTTP(S) server that serves the express app and hands `/$iothub/websocket` upgrades to the broker
 * as MQTT streams (subprotocol `mqtt`) or to the AMQP plane (subprotocol `AMQPWSB10`, told apart by
 * the subprotocol as the service does), and `/$servicebus/websocket` upgrades to the AMQP plane.
 */
export function createHubServer(
  app: Express,
  handleMqttStream: (stream: Duplex, req: import('node:http').IncomingMessage) => void,
  timeouts: ConnectionTimeouts,
  tls?: { key: string; cert: string; ticketKeys?: Buffer },
  handleAmqpWebSocket?: (ws: WebSocket) => void,
): HttpServer | HttpsServer {
  // Idle and slow sockets are closed (a connection that sends nothing gets 408 after httpHeadersMs);
  // the check runs often enough that a timeout is kept to within a second.
  const limits = {
    headersTimeout: timeouts.httpHeadersMs,
    requestTimeout: timeouts.httpRequestMs,
    keepAliveTimeout: timeouts.httpKeepAliveMs,
    connectionsCheckingInterval: Math.min(1_000, timeouts.httpHeadersMs),
  };
  const server = tls
    ? createHttpsServer({ ...limits, key: tls.key, cert: tls.cert, handshakeTimeout: timeouts.tlsHandshakeMs, ...(tls.ticketKeys ? { ticketKeys: tls.ticketKeys } : {}) }, app)
    : createHttpServer(limits, app);
  const wss = new WebSocketServer({
    noServer: true,
    // ws buffers a whole message before the MQTT stream sees it: a frame declaring more than one MQTT
    // packet may hold closes the connection (1009) from its header, like the packet size guard does.
    maxPayload: MAX_WEBSOCKET_MESSAGE_BYTES,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
  });
  const amqpWss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_AMQP_WEBSOCKET_MESSAGE_BYTES,
    handleProtocols: (protocols) => (protocols.has(AMQP_WEBSOCKET_PROTOCOL) ? AMQP_WEBSOCKET_PROTOCOL : false),
  });
  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    const offered = offeredProtocols(req.headers['sec-websocket-protocol']);
    const amqp = handleAmqpWebSocket !== undefined && offered.includes(AMQP_WEBSOCKET_PROTOCOL) && !offered.some((p) => p.startsWith('mqtt'));
    if (amqp && (path === MQTT_WEBSOCKET_PATH || path === SERVICEBUS_WEBSOCKET_PATH)) {
      amqpWss.handleUpgrade(req, socket, head, (ws) => handleAmqpWebSocket(ws));
      return;
    }
    if (path !== MQTT_WEBSOCKET_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = createWebSocketStream(ws);
      stream.on('error', () => ws.terminate());
      handleMqttStream(stream, req);
    });
  });
  server.on('close', () => {
    wss.close();
    amqpWss.close();
  });
  return server;
}
