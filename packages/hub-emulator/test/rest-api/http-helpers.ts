import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { findPolicy, signSasToken } from '@hubemu/shared';
import type { Hub } from '../../src/index.js';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed body (undefined when empty or not JSON). */
  json: any;
}

export interface RawCall {
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  /** An object is sent as JSON; a string or Buffer is sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The policy that signs the call (iothubowner by default); `null` sends no Authorization header. */
  policy?: string | null;
  /** A ready Authorization header value (overrides `policy`). */
  authorization?: string;
}

/** A service token for one of the hub's policies; every part can be overridden to forge a bad one. */
export function policyToken(hub: Hub, policyName: string, overrides: { key?: string; expiry?: number; host?: string; keyName?: string } = {}): string {
  const policy = findPolicy(hub.options.policies, policyName);
  if (!policy) throw new Error(`no policy ${policyName}`);
  const host = overrides.host ?? `${hub.hostName}:${hub.ports.https}`;
  const expiry = overrides.expiry ?? Math.floor(Date.now() / 1000) + 3600;
  return signSasToken(host, overrides.key ?? policy.primaryKey, expiry, overrides.keyName ?? policy.name);
}

/** One raw HTTPS call to the hub's REST API, trusting its CA. */
export function call(hub: Hub, input: RawCall): Promise<RawResponse> {
  const payload =
    input.body === undefined ? undefined : typeof input.body === 'string' || Buffer.isBuffer(input.body) ? Buffer.from(input.body as string | Buffer) : Buffer.from(JSON.stringify(input.body));
  const headers: Record<string, string | number> = { ...(input.headers ?? {}) };
  const authorization = input.authorization ?? (input.policy === null ? undefined : policyToken(hub, input.policy ?? 'iothubowner'));
  if (authorization !== undefined) headers.Authorization = authorization;
  if (payload) {
    headers['Content-Length'] = payload.length;
    headers['Content-Type'] ??= 'application/json; charset=utf-8';
  }
  const path = input.path.includes('?') ? input.path : `${input.path}?api-version=2021-04-12`;
  return new Promise((resolve, reject) => {
    const req = request({ host: 'localhost', port: hub.ports.https, method: input.method, path, headers, ca: hub.caPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** The error name and numeric code of an envelope-1 error answer. */
export function errorOf(response: RawResponse): { name: string | undefined; header: string | undefined; message: string | undefined } {
  const message: unknown = response.json?.Message;
  const match = typeof message === 'string' ? /^ErrorCode:([^;]*);(.*)$/s.exec(message) : null;
  const header = response.headers['iothub-errorcode'];
  return { name: match?.[1], header: Array.isArray(header) ? header[0] : header, message: match?.[2] };
}
