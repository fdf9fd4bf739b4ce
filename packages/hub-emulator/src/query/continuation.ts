import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { invalidContinuation } from './errors.js';

/**
 * Continuation tokens: where the previous page stopped, signed with the engine's secret and bound
 * to the query text. A token says "resume after this key" (not "skip n rows"), so twins added or
 * removed between pages never make another twin repeat or go missing.
 *
 * Format: base64url(JSON payload) "." base64url(HMAC-SHA256(secret, payload)).
 */
export interface Cursor {
  /** The sort key of the last item returned (a document key, or an encoded group/order tuple). */
  readonly after: string;
  /** How many items the query has returned so far (for TOP). */
  readonly emitted: number;
}

const PayloadSchema = z.object({
  v: z.literal(1),
  q: z.string(),
  a: z.string(),
  e: z.number().int().nonnegative(),
});

export class ContinuationCodec {
  private readonly key: Buffer;

  constructor(secret: string | undefined) {
    this.key = secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8');
  }

  issue(fingerprint: string, cursor: Cursor): string {
    const payload = Buffer.from(JSON.stringify({ v: 1, q: fingerprint, a: cursor.after, e: cursor.emitted })).toString('base64url');
    return `${payload}.${this.sign(payload).toString('base64url')}`;
  }

  read(token: string, fingerprint: string): Cursor {
    const dot = token.indexOf('.');
    if (dot <= 0 || dot !== token.lastIndexOf('.')) throw invalidContinuation('it is malformed (it was not issued by this hub)');
    const payload = token.slice(0, dot);
    const signature = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = this.sign(payload);
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw invalidContinuation('its signature does not match (it was altered, or issued by another hub)');
    }
    let parsed: z.infer<typeof PayloadSchema>;
    try {
      parsed = PayloadSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    } catch {
      throw invalidContinuation('its content is not understood');
    }
    if (parsed.q !== fingerprint) {
      throw invalidContinuation('it was issued for a different query - send the same query text with its continuation token');
    }
    return { after: parsed.a, emitted: parsed.e };
  }

  private sign(payload: string): Buffer {
    return createHmac('sha256', this.key).update(payload).digest();
  }
}

/** A short, stable digest of the query text that tokens are bound to. */
export function queryFingerprint(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url').slice(0, 22);
}
