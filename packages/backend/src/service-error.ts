import { ERROR_CODES, getOwn, isJsonObject, tryParseJson } from '@hubemu/shared';

/**
 * The one error of the back-end client: an HTTP error answered by the hub, or a request that never
 * got an answer (`status` 0, `errorCode` `ConnectionFailed` or `RequestTimeout`).
 */
export class ServiceError extends Error {
  /** HTTP status, or 0 when there was no response. */
  readonly status: number;
  /** The hub's error name (`DeviceNotFound`, `PreconditionFailed`...), as in the `iothub-errorcode` header. */
  readonly errorCode: string;
  /** The numeric code (404001, 412001...) when the hub sent one or the name is a known one. */
  readonly code: number | undefined;
  readonly trackingId: string | undefined;
  /** The raw response body (for diagnostics). */
  readonly body: string;

  constructor(fields: { status: number; errorCode: string; message: string; code?: number; trackingId?: string; body?: string; cause?: unknown }) {
    super(fields.message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'ServiceError';
    this.status = fields.status;
    this.errorCode = fields.errorCode;
    this.code = fields.code;
    this.trackingId = fields.trackingId;
    this.body = fields.body ?? '';
  }
}

export function isServiceError(value: unknown): value is ServiceError {
  return value instanceof ServiceError;
}

const KNOWN_CODES: Record<string, number> = Object.fromEntries(Object.entries(ERROR_CODES).map(([name, info]) => [name, info.code]));

/** `Tracking ID:{id}-G:0-TimeStamp:...` → `{id}`. */
function trackingIdOf(exceptionMessage: unknown): string | undefined {
  if (typeof exceptionMessage !== 'string') return undefined;
  const match = /Tracking ID:([^-\s]+)/.exec(exceptionMessage);
  return match?.[1];
}

interface Parsed {
  name?: string;
  code?: number;
  message?: string;
  trackingId?: string;
}

/** Envelope 2 (`{errorCode, trackingId, message}`), on its own or as the JSON text of envelope 1's `Message`. */
function fromEnvelope2(value: unknown): Parsed {
  if (!isJsonObject(value) || typeof value.errorCode !== 'number') return {};
  return {
    code: value.errorCode,
    ...(typeof value.message === 'string' ? { message: value.message } : {}),
    ...(typeof value.trackingId === 'string' ? { trackingId: value.trackingId } : {}),
  };
}

/** Envelope 1: `{"Message":"ErrorCode:<Name>;<text>","ExceptionMessage":"Tracking ID:..."}`. */
function fromEnvelope1(value: unknown): Parsed {
  if (!isJsonObject(value) || typeof value.Message !== 'string') return {};
  const text = value.Message;
  const trackingId = trackingIdOf(value.ExceptionMessage);
  const withTracking = trackingId === undefined ? {} : { trackingId };
  const match = /^ErrorCode:([^;]*);([\s\S]*)$/.exec(text);
  if (match) return { name: match[1], message: match[2], ...withTracking };
  const nested = tryParseJson(text);
  if (nested.ok) {
    const inner = fromEnvelope2(nested.value);
    if (inner.code !== undefined) return { ...withTracking, ...inner };
  }
  return { message: text, ...withTracking };
}

/** Builds the ServiceError for an HTTP error answer, from the `iothub-errorcode` header and either envelope. */
export function serviceErrorFromResponse(status: number, errorCodeHeader: string | undefined, body: string): ServiceError {
  const json = tryParseJson(body);
  const value = json.ok ? json.value : undefined;
  const one = fromEnvelope1(value);
  const two = fromEnvelope2(value);
  const name = errorCodeHeader ?? one.name ?? 'Unknown';
  const code = two.code ?? one.code ?? getOwn(KNOWN_CODES, name);
  const trackingId = two.trackingId ?? one.trackingId;
  const message = one.message ?? two.message ?? (body.trim() === '' ? `HTTP ${status}` : body.slice(0, 500));
  return new ServiceError({
    status,
    errorCode: name,
    message,
    body,
    ...(code === undefined ? {} : { code }),
    ...(trackingId === undefined ? {} : { trackingId }),
  });
}
