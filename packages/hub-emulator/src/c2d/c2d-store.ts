import type { z } from 'zod';
import type { StoredC2dMessageSchema } from '../store/record-schemas.js';
import type { C2dMessage } from './c2d-types.js';

/** A queued message as the store keeps it: JSON, so the body in base64. */
export type StoredC2dMessage = z.output<typeof StoredC2dMessageSchema>;

export function toStored(message: C2dMessage): StoredC2dMessage {
  return { ...message, body: message.body.toString('base64') };
}

export function fromStored(stored: StoredC2dMessage): C2dMessage {
  const { body, senderSetExpiry, ...rest } = stored;
  return { ...rest, body: Buffer.from(body, 'base64'), senderSetExpiry: senderSetExpiry ?? false };
}
