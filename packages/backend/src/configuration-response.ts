import { z } from 'zod';
import type { Configuration } from '@hubemu/shared';
import { expectBody } from './responses.js';
import type { RestResponse } from './rest-client.js';

const MetricsSchema = z.looseObject({ results: z.record(z.string(), z.number()), queries: z.record(z.string(), z.string()) });

/** What the client relies on in a Configuration; the rest passes through as the hub sent it. */
export const ConfigurationResponseSchema = z.looseObject({
  id: z.string(),
  etag: z.string(),
  systemMetrics: MetricsSchema.optional(),
  metrics: MetricsSchema.optional(),
});

export const TestQueriesResultSchema = z.looseObject({
  targetConditionError: z.string().nullish(),
  customMetricQueryErrors: z.record(z.string(), z.string().nullish()).nullish(),
});

/** A Configuration, checked; returned as the hub sent it (field order kept). */
export function asConfiguration(answer: RestResponse, what: string): Configuration {
  expectBody(ConfigurationResponseSchema, answer, what);
  return answer.body as Configuration;
}
