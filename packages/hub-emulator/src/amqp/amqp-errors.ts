import type { HubError } from '@hubemu/shared';
import type { AmqpError } from 'rhea';

/** AMQP error conditions the hub sends (AMQP 1.0 §2.8.15, and the ones Microsoft's SDKs map). */
export const AMQP_CONDITIONS = {
  notFound: 'amqp:not-found',
  unauthorized: 'amqp:unauthorized-access',
  resourceLimit: 'amqp:resource-limit-exceeded',
  messageSize: 'amqp:link:message-size-exceeded',
  internal: 'amqp:internal-error',
  invalidField: 'amqp:invalid-field',
  notImplemented: 'amqp:not-implemented',
  decodeError: 'amqp:decode-error',
  linkStolen: 'amqp:link:stolen',
  throttled: 'com.microsoft:device-container-throttled',
  quotaExceeded: 'com.microsoft:quota-exceeded',
  timeout: 'com.microsoft:timeout',
  argumentError: 'com.microsoft:argument-error',
} as const;

/**
 * The condition a HubError is rejected or closed with (reference iothub-messaging.md §3): the one
 * azure-iothub maps back to the error its caller expects (DeviceNotFoundError,
 * DeviceMaximumQueueDepthExceededError, MessageTooLargeError, UnauthorizedError, retried internal errors).
 * Keyed by name so codes another plane adds map without touching this file.
 */
const BY_ERROR_CODE: Readonly<Record<string, string>> = {
  DeviceNotFound: AMQP_CONDITIONS.notFound,
  ModuleNotFound: AMQP_CONDITIONS.notFound,
  NotFound: AMQP_CONDITIONS.notFound,
  DeviceMaximumQueueDepthExceeded: AMQP_CONDITIONS.resourceLimit,
  IotHubQuotaExceeded: AMQP_CONDITIONS.quotaExceeded,
  MessageTooLarge: AMQP_CONDITIONS.messageSize,
  IotHubUnauthorized: AMQP_CONDITIONS.unauthorized,
  IotHubUnauthorizedAccess: AMQP_CONDITIONS.unauthorized,
  ArgumentInvalid: AMQP_CONDITIONS.argumentError,
  ArgumentNull: AMQP_CONDITIONS.argumentError,
  ThrottlingException: AMQP_CONDITIONS.throttled,
  GatewayTimeout: AMQP_CONDITIONS.timeout,
};

/** The AMQP error for a HubError; the description carries the service's `ErrorCode:{name};{message}` form. */
export function amqpErrorOf(error: HubError): AmqpError & { condition: string } {
  return { condition: BY_ERROR_CODE[error.errorCode] ?? AMQP_CONDITIONS.internal, description: `ErrorCode:${error.errorCode};${error.message}` };
}

/** The HTTP-style status a request event records for an AMQP outcome. */
export function statusOf(error: HubError | undefined): number {
  return error ? error.status : 200;
}
