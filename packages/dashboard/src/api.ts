import type { Session } from './session.js';

/** A refused REST call, with IoT Hub's error name and the query position when the hub gave one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly position?: number,
  ) {
    super(message);
  }
}

export interface ApiResult<T> {
  body: T;
  headers: Headers;
}

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text();
  let code = response.headers.get('iothub-errorcode') ?? `HTTP ${response.status}`;
  let message = text;
  try {
    const body = JSON.parse(text) as { Message?: string; message?: string };
    const envelope = /^ErrorCode:([^;]*);(.*)$/s.exec(body.Message ?? '');
    if (envelope) [, code = code, message = text] = envelope;
    else message = body.message ?? body.Message ?? text;
  } catch {
    // not JSON: keep the text
  }
  const position = /at position (\d+)/.exec(message)?.[1];
  return new ApiError(response.status, code, message, position === undefined ? undefined : Number(position));
}

/** One REST call signed with the session's SAS token, like any other client of the service API. */
export async function api<T>(session: Session, method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { Authorization: session.authorization, ...(options.headers ?? {}) };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json; charset=utf-8';
  const separator = path.includes('?') ? '&' : '?';
  const response = await fetch(`${path}${separator}api-version=2021-04-12`, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
  if (!response.ok) throw await errorOf(response);
  const text = await response.text();
  return { body: (text === '' ? undefined : JSON.parse(text)) as T, headers: response.headers };
}

/** One page of a query: rows and the continuation token of the next page, if any. */
export async function queryPage<T>(session: Session, query: string, pageSize: number, continuation?: string): Promise<{ rows: T[]; continuation?: string }> {
  const headers: Record<string, string> = { 'x-ms-max-item-count': String(pageSize) };
  if (continuation) headers['x-ms-continuation'] = continuation;
  const result = await api<T[]>(session, 'POST', '/devices/query', { body: { query }, headers });
  const next = result.headers.get('x-ms-continuation');
  return { rows: result.body, ...(next ? { continuation: next } : {}) };
}
