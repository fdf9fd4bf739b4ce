import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Agent as HttpAgent } from 'node:http';
import type { Clock } from '@hubemu/shared';
import type { ServiceCredentials } from './connection-string.js';
import { SasTokenProvider } from './sas-token-provider.js';
import { ServiceError, serviceErrorFromResponse } from './service-error.js';

export const DEFAULT_API_VERSION = '2021-04-12';
const USER_AGENT = 'hubemu-backend/0.1.0';

export interface RestClientOptions {
  /** `https` (default) or `http` for a hub's plain HTTP port. */
  protocol: 'https' | 'http';
  /** CA certificates to trust (PEM), e.g. the hub's `ca.pem`; the system roots are used when absent. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Per-request timeout when the call does not set one. */
  timeoutMs: number;
  apiVersion: string;
  clock: Clock;
  tokenTtlSeconds: number;
}

export interface RestRequest {
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** Path without query string, segments already encoded (use `pathOf`). */
  path: string;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string | number | undefined>;
  /** Sent as JSON when defined. */
  body?: unknown;
  timeoutMs?: number;
}

export interface RestResponse<T = unknown> {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON, or undefined when the answer had no JSON body (204). */
  body: T;
}

/** `/devices/{id}/modules/{mid}` from raw segments: each is URL-encoded. */
export function pathOf(...segments: string[]): string {
  return `/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}

/** `"etag"` from `etag`; `*` becomes `"*"` (the service ignores unquoted values). */
export function quoteEtag(etag: string): string {
  return etag.startsWith('"') && etag.endsWith('"') && etag.length >= 2 ? etag : `"${etag}"`;
}

/**
 * The one place the back-end client speaks HTTP: signs every call, adds `api-version`, sends JSON,
 * parses JSON answers and turns HTTP errors into ServiceError. Query, jobs and configurations APIs
 * are built on `request()` (and `pages()` for `x-ms-continuation` paging).
 */
export class RestClient {
  private readonly host: string;
  private readonly port: number | undefined;
  private readonly tokens: SasTokenProvider;
  private readonly agent: HttpAgent;

  constructor(
    readonly credentials: ServiceCredentials,
    private readonly options: RestClientOptions,
  ) {
    const match = /^(.*?)(?::(\d+))?$/.exec(credentials.hostName);
    this.host = match?.[1] ?? credentials.hostName;
    this.port = match?.[2] === undefined ? undefined : Number(match[2]);
    this.tokens = new SasTokenProvider(credentials, options.clock, options.tokenTtlSeconds);
    this.agent =
      options.protocol === 'https'
        ? new HttpsAgent({ keepAlive: true, ...(options.ca === undefined ? {} : { ca: options.ca }) })
        : new HttpAgent({ keepAlive: true });
  }

  async request<T = unknown>(req: RestRequest): Promise<RestResponse<T>> {
    const query = new URLSearchParams({ 'api-version': this.options.apiVersion });
    for (const [key, value] of Object.entries(req.query ?? {})) if (value !== undefined) query.set(key, String(value));
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body), 'utf8');
    const headers: Record<string, string | number> = {
      Authorization: this.tokens.current(),
      'Request-Id': randomUUID(),
      'User-Agent': USER_AGENT,
      Accept: 'application/json',
    };
    for (const [key, value] of Object.entries(req.headers ?? {})) if (value !== undefined) headers[key] = value;
    if (payload) {
      headers['Content-Type'] = 'application/json; charset=utf-8';
      headers['Content-Length'] = payload.length;
    }
    const options: RequestOptions = {
      method: req.method,
      host: this.host,
      path: `${req.path}?${query.toString()}`,
      headers,
      agent: this.agent,
      ...(this.port === undefined ? {} : { port: this.port }),
    };
    const { response, text } = await this.send(options, payload, req.timeoutMs ?? this.options.timeoutMs, `${req.method} ${req.path}`);
    const status = response.statusCode ?? 0;
    if (status >= 300) {
      const header = response.headers['iothub-errorcode'];
      throw serviceErrorFromResponse(status, Array.isArray(header) ? header[0] : header, text);
    }
    const isJson = (response.headers['content-type'] ?? '').includes('application/json');
    let body: unknown;
    if (isJson && text.trim() !== '') {
      try {
        body = JSON.parse(text) as unknown;
      } catch (error) {
        throw new ServiceError({ status, errorCode: 'InvalidResponse', message: `The hub answered ${req.method} ${req.path} with malformed JSON.`, body: text, cause: error });
      }
    }
    return { status, headers: response.headers, body: body as T };
  }

  /**
   * Follows `x-ms-continuation` page by page (reference 4.3): `make(continuation)` builds each request;
   * paging stops when an answer has no continuation header. Each page's body must be a JSON array.
   */
  async *pages<T>(make: (continuation: string | undefined) => RestRequest): AsyncGenerator<{ items: T[]; headers: IncomingHttpHeaders }> {
    let continuation: string | undefined;
    do {
      const answer = await this.request<T[]>(make(continuation));
      if (!Array.isArray(answer.body)) throw new ServiceError({ status: answer.status, errorCode: 'InvalidResponse', message: 'A page of results was not a JSON array.' });
      yield { items: answer.body, headers: answer.headers };
      const header = answer.headers['x-ms-continuation'];
      continuation = Array.isArray(header) ? header[0] : header;
    } while (continuation !== undefined);
  }

  /** Closes idle keep-alive sockets (a CLI process then exits at once). */
  close(): void {
    this.agent.destroy();
  }

  private send(options: RequestOptions, payload: Buffer | undefined, timeoutMs: number, what: string): Promise<{ response: IncomingMessage; text: string }> {
    return new Promise((resolve, reject) => {
      const send = this.options.protocol === 'https' ? httpsRequest : httpRequest;
      const req = send(options, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', (error) => reject(failed(error, what)));
        response.on('end', () => resolve({ response, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.setTimeout(timeoutMs, () => {
        req.destroy(new ServiceError({ status: 0, errorCode: 'RequestTimeout', message: `${what} got no answer within ${timeoutMs} ms.` }));
      });
      req.on('error', (error) => reject(failed(error, what)));
      req.end(payload);
    });
  }
}

function failed(error: unknown, what: string): ServiceError {
  if (error instanceof ServiceError) return error;
  const text = error instanceof Error ? error.message : String(error);
  return new ServiceError({ status: 0, errorCode: 'ConnectionFailed', message: `${what} failed: ${text}`, cause: error });
}
