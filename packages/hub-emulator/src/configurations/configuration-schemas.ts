import { z } from 'zod';
import { isJsonObject, isReservedKey, JsonObjectSchema, LIMITS, nestsDeeperThan, parseRequiredBody, parseWithSchema, type ConfigurationTwinStatus, type JsonObject } from '@hubemu/shared';

/**
 * Automatic device management at the edge (reference 4.6): the Configuration body `PUT
 * /configurations/{id}` takes (as the Node `Registry` sends it, including the read-only fields of a
 * configuration it read back), the testQueries body, and what the hub stores.
 */

// Configuration ids, label names and metric names become JSON keys (the twin's `configurations`,
// `labels`, `metrics`), so the twin key rule's reserved names are refused for them too.
const reserved = (what: string): string => `${what} may not be __proto__, constructor or prototype`;

/** A record keyed by names: zod would drop a `__proto__` key silently, so the reserved names are refused before it parses. */
function namedBy<T extends z.ZodType>(what: string, record: T) {
  return z
    .unknown()
    .refine((value) => !isJsonObject(value) || !Object.keys(value).some(isReservedKey), reserved(what))
    .pipe(record);
}

/** Configuration ids (reference 3.1): up to 128 lowercase characters, no spaces, none of `& ^ [ ] { } \ | " < > /`. */
export const ConfigurationIdSchema = z
  .string()
  .min(1, 'the configuration id is empty')
  .max(128, 'the configuration id is longer than 128 characters')
  .refine((id) => !/[A-Z]/.test(id), 'the configuration id must be lowercase')
  .refine((id) => /^[!-~]+$/.test(id), 'the configuration id may contain only printable ASCII without spaces')
  .refine((id) => !/[&^[\]{}\\|"<>/]/.test(id), 'the configuration id may not contain & ^ [ ] { } \\ | " < > /')
  .refine((id) => !isReservedKey(id), reserved('the configuration id'));

const LabelsSchema = namedBy('a label name', z.record(z.string().min(1).max(128), z.string().max(128, 'a label value is longer than 128 characters')));

/** Content maps twin paths to values that become desired properties: no deeper than a twin allows (plus the content object and a `properties.desired` key's own level); the twin rules check the rest. */
const ContentSchema = JsonObjectSchema.refine((content) => !nestsDeeperThan(content, LIMITS.maxDepth + 2), {
  message: `the content nests deeper than a twin's ${LIMITS.maxDepth} levels`,
});

export const ConfigurationBodySchema = z.looseObject({
  id: z.string().optional(),
  schemaVersion: z.string().nullish(),
  labels: LabelsSchema.nullish(),
  content: z
    .looseObject({
      deviceContent: ContentSchema.nullish(),
      moduleContent: ContentSchema.nullish(),
      modulesContent: ContentSchema.nullish(),
    })
    .nullish(),
  targetCondition: z.string().nullish(),
  priority: z.number().int('priority must be an integer').min(0, 'priority must not be negative').nullish(),
  metrics: z
    .looseObject({
      queries: namedBy('a metric name', z.record(z.string().min(1), z.string())).nullish(),
      results: z.unknown().optional(),
    })
    .nullish(),
  etag: z.string().nullish(),
  // Read-only: a client sends them back from a GET; they are ignored.
  systemMetrics: z.unknown().optional(),
  createdTimeUtc: z.unknown().optional(),
  lastUpdatedTimeUtc: z.unknown().optional(),
});
export type ConfigurationBody = z.infer<typeof ConfigurationBodySchema>;

/** The one parser of a configuration body, at the edge it comes in by (REST, a test): 400 naming the first problem; an absent body is 400 ArgumentNull. */
export function parseConfigurationBody(body: unknown): ConfigurationBody {
  return parseRequiredBody(ConfigurationBodySchema, body, 'configuration');
}

/** `POST /configurations/testQueries`. */
export const TestQueriesBodySchema = z.looseObject({
  targetCondition: z.string().nullish(),
  customMetricQueries: namedBy('a metric name', z.record(z.string(), z.string())).nullish(),
});
export type TestQueriesBody = z.infer<typeof TestQueriesBodySchema>;

/** The one parser of a `testQueries` body. */
export function parseTestQueriesBody(body: unknown): TestQueriesBody {
  return parseWithSchema(TestQueriesBodySchema, body ?? {}, 'testQueries body');
}

export type ConfigurationKind = 'device' | 'module';

/** What the hub stores for a configuration. */
export interface StoredConfiguration {
  id: string;
  schemaVersion: string;
  labels: Record<string, string> | null;
  kind: ConfigurationKind;
  /** `deviceContent` or `moduleContent`: twin paths (`properties.desired.x`) to values. */
  content: JsonObject;
  targetCondition: string;
  priority: number;
  createdMs: number;
  lastUpdatedMs: number;
  /** Creation order, to break priority ties in favour of the most recently created. */
  sequence: number;
  /** Counter behind the etag. */
  version: number;
  metricQueries: Record<string, string>;
}

/** What the hub remembers per twin a configuration touched: statuses it wrote, and which leaf paths configurations own. */
export interface TwinLedger {
  statuses: Record<string, ConfigurationTwinStatus>;
  /** Leaf path (`properties.desired` segments joined by `.`) to the configuration that set it. */
  owned: Record<string, string>;
  /** The content keys those leaves came from: removed whole when no configuration sets anything inside them any more. */
  roots?: string[];
  /** Which configurations (id and creation) produced this ledger: the same set next time means nothing to remove. */
  sig?: string;
}

/** Metric results of the last evaluation. */
export interface ConfigurationResults {
  targetedCount: number;
  appliedCount: number;
  custom: Record<string, number>;
}
