import { formatTimestamp, getOwn, identityEtag, setOwn, type Configuration } from '@hubemu/shared';
import type { ConfigurationResults, StoredConfiguration } from './configuration-schemas.js';
import { systemMetricQueries } from './target-condition.js';

/** A configuration's etag: base64 of its version counter, as the service's `"MQ=="` for version 1. */
export function configurationEtag(configuration: StoredConfiguration): string {
  return identityEtag(configuration.version);
}

/** The Configuration the service answers with; metric results are those of the last evaluation (0 before the first). */
export function renderConfiguration(configuration: StoredConfiguration, results: ConfigurationResults | undefined): Configuration {
  const custom: Record<string, number> = {};
  for (const name of Object.keys(configuration.metricQueries)) setOwn(custom, name, (results && getOwn(results.custom, name)) ?? 0);
  return {
    id: configuration.id,
    schemaVersion: configuration.schemaVersion,
    labels: configuration.labels,
    content: {
      deviceContent: configuration.kind === 'device' ? configuration.content : {},
      moduleContent: configuration.kind === 'module' ? configuration.content : {},
      modulesContent: {},
    },
    targetCondition: configuration.targetCondition,
    createdTimeUtc: formatTimestamp(configuration.createdMs),
    lastUpdatedTimeUtc: formatTimestamp(configuration.lastUpdatedMs),
    priority: configuration.priority,
    systemMetrics: {
      results: { targetedCount: results?.targetedCount ?? 0, appliedCount: results?.appliedCount ?? 0 },
      queries: systemMetricQueries(configuration),
    },
    metrics: { results: custom, queries: { ...configuration.metricQueries } },
    etag: configurationEtag(configuration),
  };
}
