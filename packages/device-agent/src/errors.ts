/** The one error type of the device agent, with a closed set of kinds. */

export type DeviceClientErrorKind =
  /** The call needs an open connection and there is none. */
  | 'NotConnected'
  /** The network or TLS connection could not be made (or broke before CONNACK). */
  | 'ConnectFailed'
  /** The hub refused the credentials (CONNACK 2, 4 or 5, as Node's SDK maps them). */
  | 'Unauthorized'
  /** The hub refused the connection as unavailable (CONNACK 3). */
  | 'ServiceUnavailable'
  /** No answer within the time allowed. */
  | 'Timeout'
  /** The connection dropped while the request was in flight. */
  | 'Disconnected'
  /** The client was closed. */
  | 'Closed'
  /** The hub answered the request with an error (see `status` and `errorCode`). */
  | 'HubError'
  /** The hub's answer could not be understood. */
  | 'ProtocolError'
  /** The caller passed something the client cannot send. */
  | 'InvalidArgument';

export interface DeviceClientErrorDetails {
  /** `{status}` of `$iothub/twin/res/{status}`, or the CONNACK return code for connection refusals. */
  status?: number;
  /** The hub's numeric error code from the response body (e.g. 400004). */
  errorCode?: number;
  trackingId?: string;
  rid?: string;
  deviceId?: string;
  cause?: unknown;
}

export class DeviceClientError extends Error {
  readonly kind: DeviceClientErrorKind;
  readonly status: number | undefined;
  readonly errorCode: number | undefined;
  readonly trackingId: string | undefined;
  readonly rid: string | undefined;
  readonly deviceId: string | undefined;

  constructor(kind: DeviceClientErrorKind, message: string, details: DeviceClientErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'DeviceClientError';
    this.kind = kind;
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.trackingId = details.trackingId;
    this.rid = details.rid;
    this.deviceId = details.deviceId;
  }
}

export function isDeviceClientError(value: unknown, kind?: DeviceClientErrorKind): value is DeviceClientError {
  return value instanceof DeviceClientError && (kind === undefined || value.kind === kind);
}

/** A short, stable description of any failure, for grouping failures by reason in fleet reports. */
export function describeFailure(error: unknown): string {
  if (error instanceof DeviceClientError) {
    if (error.kind === 'HubError') return `HubError ${error.errorCode ?? error.status ?? ''}`.trim();
    if (error.kind === 'Unauthorized' || error.kind === 'ServiceUnavailable') return `${error.kind} (CONNACK ${error.status ?? '?'})`;
    const cause = error.cause as { code?: unknown } | undefined;
    if (error.kind === 'ConnectFailed' && typeof cause?.code === 'string') return `ConnectFailed ${cause.code}`;
    return error.kind;
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : error.name;
  }
  return String(error);
}
