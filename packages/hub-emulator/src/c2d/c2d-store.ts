import type { z } from 'zod';
import type { StoredC2dMessageSchema } from '../store/record-schemas.js';
import type { C2dMessage } from './c2d-types.js';

/** A queued message as the store keeps it: JSON, so the body in base64, and its lock where processes share the store. */
export type StoredC2dMessage = z.output<typeof StoredC2dMessageSchema>;

/** A message's lock while a device holds it. */
export interface C2dLock {
  token: string;
  untilMs: number;
}

export function toStored(message: C2dMessage, lock?: C2dLock): StoredC2dMessage {
  return { ...message, body: message.body.toString('base64'), ...(lock ? { lockToken: lock.token, lockedUntilMs: lock.untilMs } : {}) };
}

export function fromStored(stored: StoredC2dMessage): { message: C2dMessage; lock?: C2dLock } {
  const { body, senderSetExpiry, lockToken, lockedUntilMs, ...rest } = stored;
  const message: C2dMessage = { ...rest, body: Buffer.from(body, 'base64'), senderSetExpiry: senderSetExpiry ?? false };
  return lockToken !== undefined && lockedUntilMs !== undefined ? { message, lock: { token: lockToken, untilMs: lockedUntilMs } } : { message };
}
