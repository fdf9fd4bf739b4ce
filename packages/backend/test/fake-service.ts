import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RestClient } from '../src/rest-client.js';

/** One request the fake service saw. */
export interface SeenRequest {
  method: string;
  /** Path and query string, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or undefined when there was none. */
  body: unknown;
}

export interface FakeAnswer {
  status?: number;
  headers?: Record<string, string>;
  /** Sent as JSON (with `content-type: application/json`) when defined. */
  json?: unknown;
}

export interface FakeService {
  client: RestClient;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** A plain HTTP server answering every request with `handler`, and a RestClient signed for it. */
export async function fakeService(handler: (req: SeenRequest) => FakeAnswer): Promise<FakeService> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const request: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
      seen.push(request);
      const answer = handler(request);
      const headers = { ...(answer.json === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' }), ...answer.headers };
      res.writeHead(answer.status ?? 200, headers);
      res.end(answer.json === undefined ? '' : JSON.stringify(answer.json));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const client = new RestClient(
    { hostName: `127.0.0.1:${port}`, policyName: 'iothubowner', policyKey: Buffer.alloc(32, 1).toString('base64') },
    { protocol: 'http', timeoutMs: 5000, apiVersion: '2021-04-12', clock: { now: () => Date.now() }, tokenTtlSeconds: 3600 },
  );
  return {
    client,
    seen,
    async close() {
      client.close();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** The error envelope (1) the service answers with, plus its `iothub-errorcode` header. */
export function serviceError(status: number, code: string, text: string): FakeAnswer {
  return { status, headers: { 'iothub-errorcode': code }, json: { Message: `ErrorCode:${code};${text}`, ExceptionMessage: 'Tracking ID:abc123-G:0-TimeStamp:01/01/2026 00:00:00' } };
}
