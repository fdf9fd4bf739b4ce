import { z } from 'zod';
import { HubError } from './errors.js';
import { parseIsoDuration } from './iso-duration.js';
import { parseWithSchema } from './parse.js';
import type { ClockMode } from './scheduler.js';

/**
 * `POST /emulator/clock` (and `hub.clock`, `hubemu emulator clock`): set the test clock to a time
 * (`now`, ISO 8601 with its offset), or advance it by milliseconds (`advanceMs`) or by an ISO 8601
 * duration (`advance`, e.g. `PT5M`). Exactly one of the three.
 */
export const ClockRequestSchema = z
  .object({
    now: z.iso.datetime({ offset: true }).optional(),
    advanceMs: z.number().int().min(0).optional(),
    advance: z.string().min(1).optional(),
  })
  .strict()
  .refine((r) => [r.now, r.advanceMs, r.advance].filter((v) => v !== undefined).length === 1, { message: 'give exactly one of now, advanceMs and advance' });
export type ClockRequest = z.output<typeof ClockRequestSchema>;

/** What `GET /emulator/clock` answers: the hub's time (ISO 8601, UTC) and which clock it runs. */
export interface ClockState {
  now: string;
  mode: ClockMode;
}

/** A clock move, checked at the edge: the time to set or the milliseconds to advance by (400 ArgumentInvalid otherwise). */
export type ClockMove = { setTo: number } | { advanceBy: number };

export function parseClockRequest(value: unknown): ClockMove {
  if (value === undefined) throw new HubError('ArgumentNull', 'The clock request body is required: {"now": ISO time}, {"advanceMs": N} or {"advance": "PT5M"}.');
  const request = parseWithSchema(ClockRequestSchema, value, 'clock request');
  if (request.now !== undefined) return { setTo: Date.parse(request.now) };
  if (request.advanceMs !== undefined) return { advanceBy: request.advanceMs };
  return { advanceBy: parseIsoDuration(request.advance ?? '') };
}
