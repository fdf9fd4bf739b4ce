import type { JsonObject } from './json.js';

/** The automatic device configuration wire types (reference 4.6), shared by the hub and the clients. */

/**
 * What a configuration carries: `deviceContent` for device twins or `moduleContent` for module twins,
 * each mapping twin paths (`properties.desired.firmware`) to values. `modulesContent` is IoT Edge's;
 * hubemu refuses it.
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
