import { setOwn, type Configuration, type ConfigurationContent, type TestQueriesResult } from '@hubemu/shared';
import { asConfiguration, TestQueriesResultSchema } from './configuration-response.js';
import { expectBody } from './responses.js';
import { pathOf, quoteEtag, type RestClient } from './rest-client.js';

/**
 * What a configuration is created or updated with. A PUT replaces every field: on update, what you
 * leave out takes its default (no labels, priority 0, no target, no custom metrics); the content
 * cannot change after creation (leave it out, or send the same).
 */
export interface ConfigurationInput {
  content?: ConfigurationContent;
  /** A WHERE condition on device twins (`tags.environment = 'test'`, `*` for all); module configurations use `FROM devices.modules WHERE ...`. */
  targetCondition?: string;
  /** The highest priority wins a property two configurations set; a tie goes to the newest. */
  priority?: number;
  labels?: Record<string, string>;
  /** Up to 5 custom metrics: name to `SELECT deviceId FROM devices WHERE ...`; each result is the query's row count. */
  metrics?: { queries: Record<string, string> };
  /** `1.0` when absent (as Microsoft's SDK). */
  schemaVersion?: string;
}

export interface TestQueriesInput {
  targetCondition?: string;
  customMetricQueries?: Record<string, string>;
}

/** The editable fields of a configuration read from the hub: change some and pass them to `update()`. */
export function configurationInputOf(configuration: Configuration): ConfigurationInput {
  return {
    content: configuration.content,
    targetCondition: configuration.targetCondition,
    priority: configuration.priority,
    ...(configuration.labels ? { labels: configuration.labels } : {}),
    metrics: { queries: { ...(configuration.metrics?.queries ?? {}) } },
    schemaVersion: configuration.schemaVersion,
  };
}

/** Automatic device configurations: `/configurations` (reference 4.6). */
export class ConfigurationsApi {
  constructor(private readonly rest: RestClient) {}

  /** Creates a configuration (PUT without If-Match); 409 ConfigurationAlreadyExists when the id is taken. */
  async create(configurationId: string, input: ConfigurationInput): Promise<Configuration> {
    const answer = await this.rest.request({ method: 'PUT', path: pathOf('configurations', configurationId), body: bodyOf(configurationId, input) });
    return asConfiguration(answer, 'create configuration');
  }

  /** The configuration with the metric results of the hub's last evaluation; 404 ConfigurationNotFound when unknown. */
  async get(configurationId: string): Promise<Configuration> {
    return asConfiguration(await this.rest.request({ method: 'GET', path: pathOf('configurations', configurationId) }), 'get configuration');
  }

  /** Up to `top` configurations (a hub holds at most 100). */
  async list(options: { top?: number } = {}): Promise<Configuration[]> {
    const answer = await this.rest.request<unknown[]>({ method: 'GET', path: '/configurations', query: { top: options.top } });
    if (!Array.isArray(answer.body)) return [];
    return answer.body.map((item) => asConfiguration({ ...answer, body: item }, 'list configurations'));
  }

  /**
   * Replaces the configuration's fields with `input` (see ConfigurationInput), only if it still has
   * `etag` (else 412 PreconditionFailed); `*` or no etag forces the write.
   * `configurationInputOf(current)` gives the fields to start from.
   */
  async update(configurationId: string, input: ConfigurationInput, options: { etag?: string } = {}): Promise<Configuration> {
    const answer = await this.rest.request({
      method: 'PUT',
      path: pathOf('configurations', configurationId),
      headers: { 'If-Match': quoteEtag(options.etag ?? '*') },
      body: bodyOf(configurationId, input),
    });
    return asConfiguration(answer, 'update configuration');
  }

  /** Deletes a configuration (twins lose its settings at the next evaluation); with `etag`, only if it still has it. */
  async delete(configurationId: string, options: { etag?: string } = {}): Promise<void> {
    await this.rest.request({ method: 'DELETE', path: pathOf('configurations', configurationId), headers: { 'If-Match': quoteEtag(options.etag ?? '*') } });
  }

  /** Checks a target condition and custom metric queries without creating anything. */
  async testQueries(input: TestQueriesInput): Promise<TestQueriesResult> {
    const answer = await this.rest.request({ method: 'POST', path: '/configurations/testQueries', body: input });
    const result = expectBody(TestQueriesResultSchema, answer, 'test configuration queries');
    const customMetricQueryErrors: Record<string, string> = {};
    for (const [name, error] of Object.entries(result.customMetricQueryErrors ?? {})) setOwn(customMetricQueryErrors, name, error ?? '');
    return { targetConditionError: result.targetConditionError ?? '', customMetricQueryErrors };
  }
}

/** The Configuration body, in the service's field order. */
function bodyOf(id: string, input: ConfigurationInput): Record<string, unknown> {
  return {
    id,
    schemaVersion: input.schemaVersion ?? '1.0',
    ...(input.labels === undefined ? {} : { labels: input.labels }),
    ...(input.content === undefined ? {} : { content: input.content }),
    ...(input.targetCondition === undefined ? {} : { targetCondition: input.targetCondition }),
    ...(input.priority === undefined ? {} : { priority: input.priority }),
    ...(input.metrics === undefined ? {} : { metrics: input.metrics }),
  };
}
