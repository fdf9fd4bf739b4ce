import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSasToken } from '@hubemu/shared';
import { RestClient, pathOf, quoteEtag } from './rest-client.js';
import { ServiceError } from './service-error.js';

let server: Server | undefined;
afterEach(async () => {
  server?.close();
  server = undefined;
});

/** A plain HTTP server answering with `handler`; records the requests. */
async function serve(handler: (req: IncomingMessage, body: string) => { status: number; headers?: Record<string, string>; body?: string }): Promise<{ client: RestClient; seen: Array<{ req: IncomingMessage; body: string }> }> {
  const seen: Array<{ req: IncomingMessage; body: string }> = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ req, body });
      const answer = handler(req, body);
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? '');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const client = new RestClient(
    { hostName: `127.0.0.1:${port}`, policyName: 'iothubowner', policyKey: Buffer.alloc(32, 1).toString('base64') },
    { protocol: 'http', timeoutMs: 2000, apiVersion: '2021-04-12', clock: { now: () => Date.now() }, tokenTtlSeconds: 3600 },
  );
  return { client, seen };
}

const json = { 'Content-Type': 'application/json; charset=utf-8' };

describe('RestClient', () => {
  it('signs each call, adds api-version, sends JSON and parses a JSON answer', async () => {
    const { client, seen } = await serve(() => ({ status: 200, headers: json, body: '{"ok":true}' }));
    const answer = await client.request({ method: 'PUT', path: pathOf('devices', 'a b'), body: { x: 1 }, headers: { 'If-Match': quoteEtag('abc') } });
    expect(answer).toMatchObject({ status: 200, body: { ok: true } });
    const { req, body } = seen[0]!;
    expect(req.url).toBe('/devices/a%20b?api-version=2021-04-12');
    expect(req.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(req.headers['if-match']).toBe('"abc"');
    expect(req.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(parseSasToken(req.headers.authorization ?? '')).toMatchObject({ keyName: 'iothubowner', resourceUri: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(JSON.parse(body)).toEqual({ x: 1 });
    client.close();
  });

  it('turns an HTTP error into a ServiceError with the hub error name, code and tracking id', async () => {
    const { client } = await serve(() => ({
      status: 412,
      headers: { ...json, 'iothub-errorcode': 'PreconditionFailed' },
      body: JSON.stringify({ Message: 'ErrorCode:PreconditionFailed;PreconditionFailed, ETag may be invalid.', ExceptionMessage: 'Tracking ID:ab12-G:0-TimeStamp:01/01/2024 00:00:00' }),
    }));
    const error = await client.request({ method: 'PATCH', path: '/twins/x', body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({ status: 412, errorCode: 'PreconditionFailed', code: 412001, trackingId: 'ab12', message: 'PreconditionFailed, ETag may be invalid.' });
    client.close();
  });

  it('follows x-ms-continuation page by page and stops at the page without one', async () => {
    const { client, seen } = await serve((req) => {
      const token = req.headers['x-ms-continuation'];
      if (token === undefined) return { status: 200, headers: { ...json, 'x-ms-continuation': 'p2' }, body: '[1,2]' };
      if (token === 'p2') return { status: 200, headers: { ...json, 'x-ms-continuation': 'p3' }, body: '[3]' };
      return { status: 200, headers: json, body: '[]' };
    });
    const items: number[] = [];
    for await (const page of client.pages<number>((continuation) => ({ method: 'POST', path: '/devices/query', body: { query: 'SELECT * FROM devices' }, headers: { 'x-ms-continuation': continuation, 'x-ms-max-item-count': 2 } }))) {
      items.push(...page.items);
    }
    expect(items).toEqual([1, 2, 3]);
    expect(seen.map((s) => s.req.headers['x-ms-continuation'])).toEqual([undefined, 'p2', 'p3']);
    client.close();
  });

  it('reports a hub that cannot be reached as ServiceError ConnectionFailed with status 0', async () => {
    const client = new RestClient(
      { hostName: '127.0.0.1:1', policyName: 'p', policyKey: Buffer.alloc(32).toString('base64') },
      { protocol: 'http', timeoutMs: 2000, apiVersion: 'v', clock: { now: () => Date.now() }, tokenTtlSeconds: 3600 },
    );
    await expect(client.request({ method: 'GET', path: '/devices' })).rejects.toMatchObject({ name: 'ServiceError', status: 0, errorCode: 'ConnectionFailed' });
  });

  it('gives up on a silent hub after the timeout with ServiceError RequestTimeout', async () => {
    server = createServer(() => {});
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = new RestClient(
      { hostName: `127.0.0.1:${(server.address() as AddressInfo).port}`, policyName: 'p', policyKey: Buffer.alloc(32).toString('base64') },
      { protocol: 'http', timeoutMs: 200, apiVersion: 'v', clock: { now: () => Date.now() }, tokenTtlSeconds: 3600 },
    );
    await expect(client.request({ method: 'GET', path: '/devices' })).rejects.toMatchObject({ status: 0, errorCode: 'RequestTimeout' });
    client.close();
    server.closeAllConnections();
  });
});
