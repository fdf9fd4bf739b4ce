import { HubError } from '@hubemu/shared';
import type { C2dAck, C2dSendInput, FeedbackStatus } from './c2d-types.js';

/** The service's per-device limits (reference messaging §4). */
export const C2D_MAX_PENDING = 50;
export const C2D_MAX_MESSAGE_BYTES = 64 * 1024;
/** A message handed to a device stays locked this long; fixed by the service. */
export const C2D_LOCK_MS = 60_000;
/** Feedback batches: at most this many records, offered at most this many times. */
export const FEEDBACK_BATCH_MAX = 64;
export const FEEDBACK_MAX_DELIVERY_COUNT = 10;

/** What counts toward the 64 KB: the body, the system values and the application property names and values. */
export function c2dMessageBytes(input: C2dSendInput): number {
  let bytes = input.body.length;
  for (const value of [input.messageId, input.correlationId, input.userId, input.contentType, input.contentEncoding]) {
    if (value !== undefined) bytes += Buffer.byteLength(value);
  }
  for (const [key, value] of Object.entries(input.properties)) bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  return bytes;
}

/**
 * Checks a send against the size limit and its expiry, and returns when it expires: the sender's
 * absolute expiry, or enqueue time plus the hub's default TTL. An expiry already past is refused
 * (ArgumentInvalid); a later one than the service's 2-day maximum is kept as given (UNCERTAIN: clamp or refuse).
 */
export function admitC2d(input: C2dSendInput, nowMs: number, defaultTtlMs: number): number {
  const bytes = c2dMessageBytes(input);
  if (bytes > C2D_MAX_MESSAGE_BYTES) {
    throw new HubError('MessageTooLarge', `The message is ${bytes} bytes; a cloud-to-device message may have at most ${C2D_MAX_MESSAGE_BYTES}.`);
  }
  if (input.expiresAtMs === undefined) return nowMs + defaultTtlMs;
  if (!Number.isFinite(input.expiresAtMs) || input.expiresAtMs <= nowMs) throw new HubError('ArgumentInvalid', 'The message expiry time is in the past.');
  return input.expiresAtMs;
}

/** Whether the sender asked for feedback of this outcome (`iothub-ack`). */
export function wantsFeedback(ack: C2dAck, status: FeedbackStatus): boolean {
  if (ack === 'full') return true;
  if (ack === 'positive') return status === 'Success';
  if (ack === 'negative') return status !== 'Success';
  return false;
}

/** `description` of a record: the service's texts other than `Success` are not documented, so the code's name (UNCERTAIN). */
export function feedbackDescription(status: FeedbackStatus): string {
  return status;
}
