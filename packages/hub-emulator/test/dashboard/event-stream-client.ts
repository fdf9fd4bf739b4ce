import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import type { Hub } from '../../src/index.js';

export interface StreamEvent {
  name: string;
  data: unknown;
}

/** An open `/dashboard/events` stream: the events parsed so far, and a way to pause reading or close it. */
export interface OpenStream {
  status: number;
  response: IncomingMessage;
  events: StreamEvent[];
  bytes: () => number;
  close: () => void;
}

/** Opens the hub's event stream with an Authorization header, parsing server-sent events as they come. */
export function openEventStream(hub: Hub, authorization?: string): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: 'localhost', port: hub.ports.https, method: 'GET', path: '/dashboard/events', headers: authorization ? { Authorization: authorization } : {}, ca: hub.caPem, agent: false },
      (response) => {
        const events: StreamEvent[] = [];
        let buffer = '';
        let bytes = 0;
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          bytes += Buffer.byteLength(chunk);
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const name = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (name !== undefined && data !== undefined) events.push({ name, data: JSON.parse(data) });
            else if (data !== undefined) events.push({ name: 'message', data: JSON.parse(data) });
          }
        });
        response.on('error', () => undefined);
        resolve({ status: response.statusCode ?? 0, response, events, bytes: () => bytes, close: () => req.destroy() });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
