import type { WebSocket } from 'ws';

/**
 * What rhea reads and writes a connection through (`on('data'|'end'|'error')`, `write`, `end`), over
 * a `ws` WebSocket carrying AMQP frames as binary messages (subprotocol AMQPWSB10). rhea's own
 * `websocket_accept` does the same but does not hand the connection back, which the plane needs.
 */
export interface AmqpTransportSocket {
  on(event: string, handler: (...args: unknown[]) => void): unknown;
  write(data: Buffer): unknown;
  end(): unknown;
  destroy(): unknown;
}

export function webSocketTransport(ws: WebSocket): AmqpTransportSocket {
  const socket: AmqpTransportSocket = {
    on(event, handler) {
      if (event === 'data') ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => handler(Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)));
      else if (event === 'end') ws.on('close', () => handler());
      else if (event === 'error') ws.on('error', (error: Error) => handler(error));
      return socket;
    },
    write(data) {
      if (ws.readyState === ws.OPEN) ws.send(data, { binary: true });
      return true;
    },
    end() {
      ws.close();
    },
    destroy() {
      ws.terminate();
    },
  };
  return socket;
}
