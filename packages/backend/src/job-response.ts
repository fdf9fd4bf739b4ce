import { z } from 'zod';
import type { JobResponse } from '@hubemu/shared';
import { expectBody } from './responses.js';
import type { RestResponse } from './rest-client.js';

/** What the client relies on in a JobResponse; the rest passes through as the hub sent it. */
export const JobResponseSchema = z.looseObject({
  jobId: z.string(),
  type: z.string(),
  status: z.string(),
  deviceJobStatistics: z
    .looseObject({
      deviceCount: z.number(),
      failedCount: z.number(),
      succeededCount: z.number(),
      runningCount: z.number(),
      pendingCount: z.number(),
    })
    .optional(),
});

/** A JobResponse, checked; returned as the hub sent it (field order kept). */
export function asJob(answer: RestResponse, what: string): JobResponse {
  expectBody(JobResponseSchema, answer, what);
  return answer.body as JobResponse;
}
