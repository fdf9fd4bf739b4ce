import { randomUUID } from 'node:crypto';
/**
 * The one error type of hubemu and the one table that maps each error code to the real service's
 * HTTP status and numeric code. Wire layers render a HubError; nothing else crosses the wire.
 */

export interface ErrorCodeInfo {
  /** HTTP status the REST API answers with (also used as `{status}` on `$iothub/twin/res/{status}`). */
  readonly status: number;
  /** The real service's numeric code (`errorCode` in envelope 2, e.g. 404001). */
  readonly code: number;
}

/** Closed set of error codes, named exactly as IoT Hub names them (`iothub-errorcode` header). */
export const ERROR_CODES = {
  ArgumentInvalid: { status: 400, code: 400004 },
  ArgumentNull: { status: 400, code: 400005 },
  IotHubFormatError: { status: 400, code: 400006 },
  InvalidQuery: { status: 400, code: 400004 }, // rendered as ArgumentInvalid-class 400; name kept for clarity
  InvalidConfigurationTargetCondition: { status: 400, code: 400303 },
  InvalidConfigurationContent: { status: 400, code: 400304 },
  CannotModifyImmutableConfigurationContent: { status: 400, code: 400305 },
  InvalidConfigurationCustomMetricsQuery: { status: 400, code: 400306 },
  IotHubUnauthorizedAccess: { status: 401, code: 401002 },
  IotHubUnauthorized: { status: 401, code: 401003 },
  IotHubQuotaExceeded: { status: 403, code: 403002 },
  DeviceMaximumQueueDepthExceeded: { status: 403, code: 403004 },
  JobQuotaExceeded: { status: 403, code: 403003 },
  DeviceNotFound: { status: 404, code: 404001 },
  JobNotFound: { status: 404, code: 404002 },
  ModuleNotFound: { status: 404, code: 404010 },
  ConfigurationNotFound: { status: 404, code: 404011 },
  DeviceNotOnline: { status: 404, code: 404103 },
  DeviceConnectionClosedRemotely: { status: 404, code: 404104 },
  NotFound: { status: 404, code: 404000 },
  MethodNotAllowed: { status: 405, code: 405000 },
  DeviceAlreadyExists: { status: 409, code: 409001 },
  JobAlreadyExists: { status: 409, code: 409007 },
  ModuleAlreadyExistsOnDevice: { status: 409, code: 409301 },
  ConfigurationAlreadyExists: { status: 409, code: 409302 },
  /** Something else that already exists (a consumer group): the generic 409, as NotFound is the generic 404. */
  Conflict: { status: 409, code: 409000 },
  PreconditionFailed: { status: 412, code: 412001 },
  DeviceMessageLockLost: { status: 412, code: 412002 },
  MessageTooLarge: { status: 413, code: 413001 },
  TooManyDevices: { status: 413, code: 413002 },
  ThrottlingException: { status: 429, code: 429001 },
  ThrottlingMaxActiveJobCountExceeded: { status: 429, code: 429004 },
  ServerError: { status: 500, code: 500001 },
  JobCancelled: { status: 500, code: 500002 },
  ServiceUnavailable: { status: 503, code: 503001 },
  GatewayTimeout: { status: 504, code: 504101 },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCodeName = keyof typeof ERROR_CODES;

/**
 * The name the real service puts in `ErrorCode:<name>` and the `iothub-errorcode` header.
 * `InvalidQuery` is our internal name for a query the parser refuses; the service calls that a BadRequest.
 */
export function wireErrorName(name: ErrorCodeName): string {
  return name === 'InvalidQuery' ? 'BadRequest' : name;
}

/**
 * Error texts never contain `;`: Node's azure-iothub reads envelope 1's `ErrorCode:<Name>;<text>`
 * with `split(';')[1]`, so anything after a second `;` would be lost. Authored texts avoid it; this
 * makes sure of it for texts that quote input (ids may contain `;`): `; ` between clauses becomes
 * ` - ` and any other `;` becomes `,`.
 */
export function withoutSemicolons(text: string): string {
  return text.replace(/;\s+/g, ' - ').replace(/;/g, ',');
}

export class HubError extends Error {
  readonly errorCode: ErrorCodeName;
  readonly status: number;
  readonly code: number;
  /** Extra detail for logs and the error body's `info` (never secrets). */
  readonly info: Record<string, unknown>;

  constructor(errorCode: ErrorCodeName, message: string, info: Record<string, unknown> = {}) {
    super(withoutSemicolons(message));
    this.name = 'HubError';
    this.errorCode = errorCode;
    this.status = ERROR_CODES[errorCode].status;
    this.code = ERROR_CODES[errorCode].code;
    this.info = info;
  }
}

export function isHubError(value: unknown): value is HubError {
  return value instanceof HubError;
}

/** Wraps anything thrown into a HubError; unknown errors become ServerError without leaking details. */
export function toHubError(value: unknown): HubError {
  if (value instanceof HubError) return value;
  return new HubError('ServerError', 'An internal error occurred.', {
    cause: value instanceof Error ? value.message : String(value),
  });
}

export interface ErrorEnvelope1 {
  Message: string;
  ExceptionMessage: string;
}

export interface ErrorEnvelope2 {
  errorCode: number;
  trackingId: string;
  message: string;
  info: Record<string, unknown>;
  timestampUtc: string;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `MM/dd/yyyy HH:mm:ss` in UTC, as the service writes it in ExceptionMessage. */
function trackingTimestamp(date: Date): string {
  return `${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())}/${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}

/** Envelope 1: registry, twin, query, configuration and job REST APIs. */
/** A tracking id for an error body, the same shape on every plane (32 hex digits). */
export function newTrackingId(): string {
  return randomUUID().replace(/-/g, '');
}

export function toEnvelope1(error: HubError, trackingId: string, now: Date): ErrorEnvelope1 {
  return {
    Message: `ErrorCode:${wireErrorName(error.errorCode)};${error.message}`,
    ExceptionMessage: `Tracking ID:${trackingId}-G:0-TimeStamp:${trackingTimestamp(now)}`,
  };
}

/** Envelope 2: direct methods and the device plane (`$iothub/twin/res/{status}` bodies). */
export function toEnvelope2(error: HubError, trackingId: string, now: Date): ErrorEnvelope2 {
  return {
    errorCode: error.code,
    trackingId,
    message: error.message,
    info: {},
    timestampUtc: now.toISOString(),
  };
}
