import { z } from 'zod';
import { parseWithSchema } from '@hubemu/shared';
import type { C2dSendInput } from './c2d-types.js';

const bodySchema = z.union([z.string(), z.instanceof(Buffer), z.instanceof(Uint8Array)]);

/** A C2D message as the embedded API takes it (`hub.c2d.send`): what `azure-iothub`'s `Message` carries. */
export const C2dSendRequestSchema = z.strictObject({
  body: bodySchema,
  messageId: z.string().min(1).optional(),
  correlationId: z.string().min(1).optional(),
  userId: z.string().min(1).optional(),
  /** Absolute expiry: a Date, epoch milliseconds or an ISO time; the hub's default TTL when absent. */
  expiryTimeUtc: z.union([z.date(), z.number(), z.iso.datetime({ offset: true })]).optional(),
  contentType: z.string().min(1).optional(),
  contentEncoding: z.string().min(1).optional(),
  ack: z.enum(['none', 'positive', 'negative', 'full']).default('none'),
  properties: z.record(z.string(), z.string()).default({}),
});
export type C2dSendRequest = z.input<typeof C2dSendRequestSchema>;

/** Checks an embedded send at the edge (400 ArgumentInvalid naming the first problem) and turns it into the core's input. */
export function parseC2dSendRequest(deviceId: string, request: unknown): C2dSendInput {
  const r = parseWithSchema(C2dSendRequestSchema, request, 'cloud-to-device message');
  const expiresAtMs = r.expiryTimeUtc === undefined ? undefined : new Date(r.expiryTimeUtc).getTime();
  return {
    deviceId,
    ...(r.messageId === undefined ? {} : { messageId: r.messageId }),
    ...(r.correlationId === undefined ? {} : { correlationId: r.correlationId }),
    ...(r.userId === undefined ? {} : { userId: r.userId }),
    ...(expiresAtMs === undefined ? {} : { expiresAtMs }),
    ...(r.contentType === undefined ? {} : { contentType: r.contentType }),
    ...(r.contentEncoding === undefined ? {} : { contentEncoding: r.contentEncoding }),
    ack: r.ack,
    properties: r.properties,
    body: typeof r.body === 'string' ? Buffer.from(r.body, 'utf8') : Buffer.from(r.body),
  };
}
