import { z } from 'zod';
import type { JsonObject } from '@hubemu/shared';
import { expectBody } from './responses.js';
import type { RestResponse } from './rest-client.js';

/**
 * What an automatic device configuration carries (reference 4.6): `deviceContent` for device twins
 * or `moduleContent` for module twins, each mapping twin paths (`properties.desired.firmware`) to
 * values. `modulesContent` is IoT Edge's; hubemu refuses it.
 */
export interface ConfigurationContent {
  deviceContent?: JsonObject;
  moduleContent?: JsonObject;
  modulesContent?: JsonObject;
}

/** Metric results (counts) and the queries behind them. */
export interface ConfigurationMetrics {
  results: Record<string, number>;
  queries: Record<string, string>;
}

/** The service's Configuration, as `GET /configurations/{id}` answers it. */
export interface Configuration {
  id: string;
  schemaVersion: string;
  labels: Record<string, string> | null;
  content: ConfigurationContent;
  targetCondition: string;
  createdTimeUtc: string;
  lastUpdatedTimeUtc: string;
  priority: number;
  /** `targetedCount` and `appliedCount`, from the hub's last evaluation. */
  systemMetrics: ConfigurationMetrics;
  /** The custom metrics: each query's row count. */
  metrics: ConfigurationMetrics;
  etag: string;
}

/** The answer of `POST /configurations/testQueries`: empty strings when the queries are valid. */
export interface TestQueriesResult {
  targetConditionError: string;
  customMetricQueryErrors: Record<string, string>;
}

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
