/** A configuration as `GET /configurations` answers it (the fields the pages read). */
export interface Configuration {
  id: string;
  priority: number;
  targetCondition: string;
  content: { deviceContent?: Record<string, unknown>; moduleContent?: Record<string, unknown> };
  createdTimeUtc?: string;
  labels?: Record<string, string> | null;
  systemMetrics: { results: { targetedCount?: number; appliedCount?: number } };
  metrics: { results: Record<string, number>; queries: Record<string, string> };
  etag: string;
}

/** What the compliance chart plots for one configuration: targeted, applied and each custom metric. */
export const metricNames = (configuration: Configuration): string[] => ['targeted', 'applied', ...Object.keys(configuration.metrics.queries)];

export const metricValues = (configuration: Configuration): number[] => [
  configuration.systemMetrics.results.targetedCount ?? 0,
  configuration.systemMetrics.results.appliedCount ?? 0,
  ...Object.keys(configuration.metrics.queries).map((name) => configuration.metrics.results[name] ?? 0),
];
