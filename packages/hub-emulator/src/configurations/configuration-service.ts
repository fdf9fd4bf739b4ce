import { etagMatches, HubError, LIMITS, parseWithSchema, setOwn, silentLogger, toHubError, type Configuration, type HubClock, type JsonObject, type Logger, type TestQueriesResult, type Timer } from '@hubemu/shared';
import {
  ConfigurationIdSchema,
  type ConfigurationBody,
  type ConfigurationKind,
  type ConfigurationResults,
  type StoredConfiguration,
  type TestQueriesBody,
} from './configuration-schemas.js';
import { ConfigurationEvaluator, type ConfigurationQueries, type ConfigurationTwinAccess } from './configuration-evaluator.js';
import type { ConfigurationRepository } from './configuration-repository.js';
import { configurationEtag, renderConfiguration } from './configuration-response.js';
import { contentLeaves } from './content-leaves.js';
import { jsonEqual } from './plan-twin-patch.js';
import { checkMetricQuery, targetWhere } from './target-condition.js';

export interface ConfigurationServiceOptions {
  /** Re-evaluation interval (the service's is 5 minutes; hubemu's default is 2 s). */
  intervalMs: number;
  /** 100 on a standard hub, 10 on F1. */
  maxConfigurations?: number;
  /** Twins handled between two yields to the event loop (default 250). */
  chunkSize?: number;
}

export interface ConfigurationServiceDeps {
  repository: ConfigurationRepository;
  queries: ConfigurationQueries;
  twins: ConfigurationTwinAccess;
  clock: HubClock;
  logger?: Logger;
  options: ConfigurationServiceOptions;
  /**
   * On a hub of several processes (docs/scale-out.md): each twin's reconciliation runs as a unit of the
   * shared store, the process that runs the passes (the leader) saves their metrics, and the others show
   * the saved ones.
   */
  /** On a hub of several processes: each twin change a unit of its own, and a pass stops once this process may no longer lead. */
  cluster?: { unit: <R>(fn: () => R) => R | Promise<R>; leading: () => boolean };
}

const MODULE_CONDITION = /^\s*from\s+devices\.modules\b/i;

function isEmpty(value: JsonObject | null | undefined): boolean {
  return value === null || value === undefined || Object.keys(value).length === 0;
}

/**
 * Automatic device management (reference 4.6): configuration CRUD with etags, the content immutable
 * after creation, the 100-configuration and 5-metric limits, testQueries; and the evaluation that
 * applies content to targeted twins at creation, update, deletion and every `intervalMs`.
 */
export class ConfigurationService {
  private readonly repository: ConfigurationRepository;
  private readonly clock: HubClock;
  private readonly logger: Logger;
  private readonly evaluator: ConfigurationEvaluator;
  private results = new Map<string, ConfigurationResults>();
  private timer: Timer | undefined;
  private running = false;
  private again = false;
  private waiting: Array<() => void> = [];
  private closed = false;

  constructor(private readonly deps: ConfigurationServiceDeps) {
    this.repository = deps.repository;
    this.clock = deps.clock;
    this.logger = deps.logger ?? silentLogger;
    this.evaluator = new ConfigurationEvaluator(deps.repository, deps.queries, deps.twins, {
      chunkSize: deps.options.chunkSize ?? 250,
      logger: this.logger,
      cancelled: () => this.closed || !(deps.cluster?.leading() ?? true),
      ...(deps.cluster ? { unit: deps.cluster.unit } : {}),
    });
  }

  /** Starts the periodic evaluation (and evaluates once, for configurations that survived a restart). */
  start(): void {
    this.closed = false;
    this.timer?.cancel();
    this.timer = this.clock.every(this.deps.options.intervalMs, () => this.kick(false));
    this.kick(true);
  }

  stop(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  /** After the store was emptied (the embedded `reset()`). */
  reset(): void {
    this.results = new Map();
    this.evaluator.reset();
  }

  /** `PUT /configurations/{id}` with a body parsed at its edge (parseConfigurationBody): creates without If-Match (409 when it exists), updates with it. */
  put(id: string, input: ConfigurationBody, ifMatch?: string): { configuration: Configuration; created: boolean } {
    const configurationId = parseWithSchema(ConfigurationIdSchema, id, 'configuration id');
    if (input.id !== undefined && input.id !== configurationId) {
      throw new HubError('ArgumentInvalid', `The id in the body ('${input.id}') does not match the URL ('${configurationId}').`);
    }
    const existing = this.repository.get(configurationId);
    if (ifMatch === undefined && existing) throw new HubError('ConfigurationAlreadyExists', `A configuration with ID '${configurationId}' already exists.`);
    if (ifMatch !== undefined && !existing) throw new HubError('ConfigurationNotFound', `The configuration '${configurationId}' does not exist.`);

    const content = input.content === null || input.content === undefined ? undefined : this.contentOf(input.content, input.targetCondition ?? '');
    if (existing && content && (content.kind !== existing.kind || !jsonEqual(content.content, existing.content))) {
      throw new HubError('CannotModifyImmutableConfigurationContent', `The content of configuration '${configurationId}' cannot change after creation. Only targetCondition, priority, labels and metrics can.`);
    }
    const kind = existing?.kind ?? content?.kind ?? 'device';
    const targetCondition = input.targetCondition ?? '';
    targetWhere(targetCondition, kind);
    const metricQueries = { ...(input.metrics?.queries ?? {}) };
    if (Object.keys(metricQueries).length > LIMITS.maxCustomMetrics) {
      throw new HubError('ArgumentInvalid', `A configuration has at most ${LIMITS.maxCustomMetrics} custom metrics, and this one has ${Object.keys(metricQueries).length}.`);
    }
    for (const [name, query] of Object.entries(metricQueries)) checkMetricQuery(name, query);

    const now = this.clock.now();
    let next: StoredConfiguration;
    if (existing) {
      if (!etagMatches(ifMatch, configurationEtag(existing))) throw new HubError('PreconditionFailed', 'PreconditionFailed, ETag may be invalid.');
      next = {
        ...existing,
        schemaVersion: input.schemaVersion ?? existing.schemaVersion,
        labels: input.labels ?? null,
        targetCondition,
        priority: input.priority ?? 0,
        metricQueries,
        lastUpdatedMs: now,
        version: existing.version + 1,
      };
    } else {
      const max = this.deps.options.maxConfigurations ?? LIMITS.maxConfigurations;
      if (this.repository.count >= max) throw new HubError('IotHubQuotaExceeded', `The hub already has ${max} configurations, its maximum.`);
      next = {
        id: configurationId,
        schemaVersion: input.schemaVersion ?? '1.0',
        labels: input.labels ?? null,
        kind,
        content: content?.content ?? {},
        targetCondition,
        priority: input.priority ?? 0,
        createdMs: now,
        lastUpdatedMs: now,
        sequence: this.repository.nextSequence(),
        version: 1,
        metricQueries,
      };
    }
    this.repository.put(next);
    this.kick(true);
    return { configuration: renderConfiguration(next, this.resultsOf(next.id)), created: !existing };
  }

  get(id: string): Configuration {
    const configuration = this.require(id);
    return renderConfiguration(configuration, this.resultsOf(configuration.id));
  }

  /** The last pass's metrics: this process's own, or on a cluster's other processes the ones its leader saved. */
  private resultsOf(id: string): ConfigurationResults | undefined {
    return this.results.get(id) ?? (this.deps.cluster ? this.repository.sharedResults().get(id) : undefined);
  }

  /** `GET /configurations?top=N`, oldest first. */
  list(top?: number): Configuration[] {
    return this.repository
      .all()
      .sort((a, b) => a.sequence - b.sequence)
      .slice(0, top ?? Number.POSITIVE_INFINITY)
      .map((c) => renderConfiguration(c, this.resultsOf(c.id)));
  }

  /** `DELETE /configurations/{id}`: twins lose its settings and take the next configuration's, at the next evaluation (started now). */
  delete(id: string, ifMatch?: string): void {
    const configuration = this.require(id);
    if (ifMatch !== undefined && !etagMatches(ifMatch, configurationEtag(configuration))) {
      throw new HubError('PreconditionFailed', 'PreconditionFailed, ETag may be invalid.');
    }
    this.repository.delete(configuration.id);
    this.results.delete(configuration.id);
    this.kick(true);
  }

  /** `POST /configurations/testQueries`: the parser's verdict on a target condition and metric queries (empty strings when valid). */
  testQueries(input: TestQueriesBody): TestQueriesResult {
    const condition = input.targetCondition ?? '';
    const result: TestQueriesResult = { targetConditionError: '', customMetricQueryErrors: {} };
    try {
      targetWhere(condition, MODULE_CONDITION.test(condition) ? 'module' : 'device');
    } catch (error) {
      result.targetConditionError = toHubError(error).message;
    }
    for (const [name, query] of Object.entries(input.customMetricQueries ?? {})) {
      try {
        checkMetricQuery(name, query);
        setOwn(result.customMetricQueryErrors, name, '');
      } catch (error) {
        setOwn(result.customMetricQueryErrors, name, toHubError(error).message);
      }
    }
    return result;
  }

  /** Resolves after a full evaluation that started after this call. */
  evaluateNow(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.kick(true);
    });
  }

  /** Starts an evaluation; `force` runs another one after the current if one is under way (the timer does not pile up). */
  private kick(force: boolean): void {
    if (this.closed) return;
    if (this.running) {
      if (force) this.again = true;
      return;
    }
    this.running = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      // Let the request that asked for it answer first.
      await new Promise((resolve) => setImmediate(resolve));
      do {
        this.again = false;
        const waiting = this.waiting.splice(0);
        try {
          const results = await this.evaluator.evaluate();
          if (results && !this.closed) {
            this.results = results;
            if (this.deps.cluster) this.repository.saveResults(results);
          }
        } catch (error) {
          this.logger.error({ err: error }, 'configuration evaluation failed');
        }
        for (const resolve of waiting) resolve();
      } while (this.again && !this.closed);
    } finally {
      // Synchronously after the last pass: a caller woken above that asks again starts a new loop.
      this.running = false;
    }
  }

  private require(id: string): StoredConfiguration {
    const configuration = this.repository.get(id);
    if (!configuration) throw new HubError('ConfigurationNotFound', `The configuration '${id}' does not exist.`);
    return configuration;
  }

  /** The one content a configuration carries; edge deployments (`modulesContent`) are refused. */
  private contentOf(content: { deviceContent?: JsonObject | null; moduleContent?: JsonObject | null; modulesContent?: JsonObject | null }, targetCondition: string): { kind: ConfigurationKind; content: JsonObject } {
    if (!isEmpty(content.modulesContent)) {
      throw new HubError('InvalidConfigurationContent', 'IoT Edge deployments (content.modulesContent) are not supported by hubemu yet. Use deviceContent or moduleContent.');
    }
    if (!isEmpty(content.deviceContent) && !isEmpty(content.moduleContent)) {
      throw new HubError('InvalidConfigurationContent', 'A configuration carries deviceContent or moduleContent, not both.');
    }
    const kind: ConfigurationKind = !isEmpty(content.moduleContent) || (isEmpty(content.deviceContent) && MODULE_CONDITION.test(targetCondition)) ? 'module' : 'device';
    const chosen = (kind === 'module' ? content.moduleContent : content.deviceContent) ?? {};
    contentLeaves(chosen);
    return { kind, content: chosen };
  }
}
