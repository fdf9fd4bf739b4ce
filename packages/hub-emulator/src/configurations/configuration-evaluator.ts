import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { getOwn, identityKey, parseIdentityKey, setOwn, type ConfigurationTwinStatus, type Logger, type Twin, type TwinWrite } from '@hubemu/shared';
import { parseQuery, type ConditionAst } from '../query/index.js';
import type { ConfigurationRepository } from './configuration-repository.js';
import type { ConfigurationResults, StoredConfiguration, TwinLedger } from './configuration-schemas.js';
import { contentLeaves, PathSet, type Leaf } from './content-leaves.js';
import { planTwinPatch } from './plan-twin-patch.js';
import { resolveContent, type EffectiveLeaf, type RankedConfiguration } from './resolve-content.js';
import { targetWhere } from './target-condition.js';

/** The query service, as configurations use it. */
export interface ConfigurationQueries {
  /** Brings the query engine up to date with changed twins, yielding to the event loop between chunks. */
  catchUp(): Promise<void>;
  matchDevices(condition: string | ConditionAst): readonly Twin[];
  matchModules(condition: string): readonly Twin[];
  execute(query: string, page: { pageSize: number; continuation?: string }): { items: unknown[]; continuation?: string };
}

/** Twin reads and writes, as configurations use them (`key` is `deviceId` or `deviceId/moduleId`). */
export interface ConfigurationTwinAccess {
  twin(key: string): Twin | undefined;
  write(deviceId: string, moduleId: string | undefined, write: TwinWrite, options: { source: 'configuration' }): unknown;
  setStatuses(deviceId: string, moduleId: string | undefined, statuses: Record<string, { status: ConfigurationTwinStatus }> | undefined): void;
}

export interface EvaluatorOptions {
  /** Twins handled between two yields to the event loop. */
  chunkSize: number;
  logger: Logger;
  /** True once the hub stops or resets: the evaluation gives up between chunks. */
  cancelled: () => boolean;
  /** Runs one twin's reconciliation as a unit of the store (docs/scale-out.md): on a shared store it may finish later, run again on newer state. */
  unit?: <R>(fn: () => R) => R | Promise<R>;
}

/** Highest precedence first: priority, then the most recently created. */
export function byPrecedence(a: StoredConfiguration, b: StoredConfiguration): number {
  return b.priority - a.priority || b.sequence - a.sequence;
}

function sameStatuses(a: Record<string, { status: string }> | undefined, b: Record<string, ConfigurationTwinStatus>): boolean {
  const aKeys = Object.keys(a ?? {});
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every((id) => a !== undefined && getOwn(a, id)?.status === getOwn(b, id));
}

/** What the twins targeted by one set of configurations get. */
interface Plan {
  sig: string;
  leaves: readonly EffectiveLeaf[];
  keys: PathSet;
  applied: ReadonlySet<string>;
  statuses: Record<string, ConfigurationTwinStatus>;
  /** Undefined when there is nothing to remember about such a twin. */
  ledger: TwinLedger | undefined;
}

/** A configuration by id and creation: an id deleted and created again is another configuration. */
function creationKey(configuration: StoredConfiguration): string {
  return `${configuration.id}#${configuration.sequence}`;
}

/** Configurations by id and creation, in precedence order. */
function signatureOf(configurations: readonly StoredConfiguration[]): string {
  return configurations.map(creationKey).join('|');
}

/**
 * One pass of automatic device management over every twin a configuration targets or touched before:
 * resolves which configuration sets which property (priority, then recency), writes only the twins
 * whose desired properties differ from that (through the twin service, so devices are notified),
 * removes the settings of configurations that no longer apply, keeps `configurations.[[id]].status`,
 * and counts the metrics. Yields to the event loop every `chunkSize` twins.
 */
export class ConfigurationEvaluator {
  /** Content leaves by creation key (content never changes within one creation). */
  /** Content as leaves per configuration creation; null for stored content the rules refuse. */
  private readonly leavesCache = new Map<string, readonly Leaf[] | null>();

  constructor(
    private readonly repository: ConfigurationRepository,
    private readonly queries: ConfigurationQueries,
    private readonly twins: ConfigurationTwinAccess,
    private readonly options: EvaluatorOptions,
  ) {}

  /** Returns the metric results by configuration id (undefined when cancelled part-way). */
  async evaluate(): Promise<Map<string, ConfigurationResults> | undefined> {
    // Twins changed since the last query reach the query engine in chunks before the targets are matched.
    await this.queries.catchUp();
    if (this.options.cancelled()) return undefined;
    const configurations = this.repository.all().sort(byPrecedence);
    const results = new Map<string, ConfigurationResults>();
    const targetsOf = new Map<string, string[]>();
    const leavesOf = new Map<string, readonly Leaf[]>();
    for (const configuration of configurations) {
      const leaves = this.leaves(configuration);
      // Stored content the rules refuse (written before a rule existed) targets nothing; the others still apply.
      const keys = leaves ? this.targets(configuration) : [];
      results.set(configuration.id, { targetedCount: keys.length, appliedCount: 0, custom: {} });
      if (leaves) leavesOf.set(configuration.id, leaves);
      for (const key of keys) {
        let list = targetsOf.get(key);
        if (!list) targetsOf.set(key, (list = []));
        list.push(configuration.id);
      }
    }
    const keys = new Set([...targetsOf.keys(), ...this.repository.ledgerKeys()]);
    const byId = new Map(configurations.map((c) => [c.id, c]));
    const plans = new Map<string, Plan>();
    let handled = 0;
    const count = (applied: ReadonlySet<string>): void => {
      for (const id of applied) {
        const result = results.get(id);
        if (result) result.appliedCount += 1;
      }
    };
    // Units a shared store commits later: counted when they have.
    let committing: Array<Promise<void>> = [];
    const settle = async (): Promise<void> => {
      await Promise.all(committing);
      committing = [];
    };
    for (const key of keys) {
      const ids = targetsOf.get(key) ?? [];
      const planKey = ids.join('\u0000');
      let plan = plans.get(planKey);
      if (!plan) plans.set(planKey, (plan = this.plan(ids.map((id) => byId.get(id) as StoredConfiguration), leavesOf)));
      const reconcile = (): ReadonlySet<string> => this.reconcile(key, plan as Plan);
      const applied = this.options.unit ? this.options.unit(reconcile) : reconcile();
      if (applied instanceof Promise) {
        committing.push(
          applied.then(count, (error: unknown) => {
            this.options.logger.warn({ key, err: error }, 'configuration content could not be stored');
          }),
        );
      } else count(applied);
      handled += 1;
      if (handled % this.options.chunkSize === 0) {
        await settle();
        await yieldToEventLoop();
        if (this.options.cancelled()) return undefined;
      }
    }
    await settle();
    // The metric queries see the twins this pass wrote: those reach the query engine in chunks too.
    if (configurations.some((c) => Object.keys(c.metricQueries).length > 0)) {
      await this.queries.catchUp();
      if (this.options.cancelled()) return undefined;
    }
    for (const configuration of configurations) {
      const custom = (results.get(configuration.id) as ConfigurationResults).custom;
      for (const [name, query] of Object.entries(configuration.metricQueries)) setOwn(custom, name, this.count(query));
    }
    const live = new Set(configurations.map(creationKey));
    for (const key of this.leavesCache.keys()) if (!live.has(key)) this.leavesCache.delete(key);
    return results;
  }

  /** Forgets cached content (after the store was emptied, when creation numbers start again). */
  reset(): void {
    this.leavesCache.clear();
  }

  /** What every twin targeted by the same configurations gets: resolved once per evaluation, not per twin. */
  private plan(configurations: readonly StoredConfiguration[], leavesOf: ReadonlyMap<string, readonly Leaf[]>): Plan {
    const ranked: RankedConfiguration[] = configurations.map((c) => ({ id: c.id, leaves: leavesOf.get(c.id) ?? [] }));
    const resolution = resolveContent(ranked);
    const leaves = [...resolution.leaves.values()];
    const keys = new PathSet();
    const owned: Record<string, string> = {};
    const roots = new Set<string>();
    for (const leaf of leaves) {
      keys.add(leaf.key);
      if (leaf.value === null) continue;
      setOwn(owned, leaf.key, leaf.owner);
      roots.add(leaf.root);
    }
    const statuses: Record<string, ConfigurationTwinStatus> = {};
    for (const { id } of ranked) setOwn(statuses, id, resolution.applied.has(id) ? 'Applied' : 'Targeted');
    const sig = signatureOf(configurations);
    const remember = ranked.length > 0 || Object.keys(owned).length > 0;
    return { sig, leaves, keys, applied: resolution.applied, statuses, ledger: remember ? { statuses, owned, roots: [...roots].sort(), sig } : undefined };
  }

  /** Brings one twin in line with its plan; returns the configurations Applied on it. */
  private reconcile(key: string, plan: Plan): ReadonlySet<string> {
    const ledger = this.repository.ledger(key);
    const twin = this.twins.twin(key);
    if (!twin) {
      if (ledger) this.repository.deleteLedger(key);
      return new Set();
    }
    const { deviceId, moduleId } = parseIdentityKey(key);
    // Same configurations as last time: whatever they set before is still theirs, nothing to remove.
    const previous = ledger && ledger.sig === plan.sig ? undefined : { leaves: Object.keys(ledger?.owned ?? {}), roots: ledger?.roots ?? [] };
    const patch = planTwinPatch(twin.properties.desired, plan.leaves, previous, plan.keys);
    if (patch) {
      try {
        this.twins.write(deviceId, moduleId, { desired: { patch } }, { source: 'configuration' });
      } catch (error) {
        // Not applied (a twin limit, the twin just deleted...): Targeted, and tried again next pass.
        this.options.logger.warn({ deviceId, moduleId, err: error }, 'configuration content could not be applied');
        const statuses: Record<string, ConfigurationTwinStatus> = {};
        for (const id of Object.keys(plan.statuses)) setOwn(statuses, id, 'Targeted');
        this.setStatuses(twin, deviceId, moduleId, statuses);
        this.repository.putLedger(key, { statuses, owned: ledger?.owned ?? {}, roots: ledger?.roots ?? [], sig: 'not applied' });
        return new Set();
      }
    }
    this.setStatuses(twin, deviceId, moduleId, plan.statuses);
    if (!plan.ledger) {
      if (ledger) this.repository.deleteLedger(key);
    } else if (ledger?.sig !== plan.sig) {
      this.repository.putLedger(key, plan.ledger);
    }
    return plan.applied;
  }

  private setStatuses(twin: Twin, deviceId: string, moduleId: string | undefined, statuses: Record<string, ConfigurationTwinStatus>): void {
    if (sameStatuses(twin.configurations, statuses)) return;
    const rendered: Record<string, { status: ConfigurationTwinStatus }> = {};
    for (const [id, status] of Object.entries(statuses)) setOwn(rendered, id, { status });
    this.twins.setStatuses(deviceId, moduleId, Object.keys(rendered).length === 0 ? undefined : rendered);
  }

  private targets(configuration: StoredConfiguration): string[] {
    try {
      const where = targetWhere(configuration.targetCondition, configuration.kind);
      if (where === undefined) return [];
      const twins = configuration.kind === 'device' ? this.queries.matchDevices(where) : this.queries.matchModules(where);
      return twins.map((twin) => identityKey(twin.deviceId, twin.moduleId));
    } catch (error) {
      this.options.logger.warn({ configurationId: configuration.id, err: error }, 'configuration target condition failed');
      return [];
    }
  }

  private leaves(configuration: StoredConfiguration): readonly Leaf[] | null {
    const key = creationKey(configuration);
    let leaves = this.leavesCache.get(key);
    if (leaves === undefined) {
      try {
        leaves = contentLeaves(configuration.content);
      } catch (error) {
        this.options.logger.warn({ configurationId: configuration.id, err: error }, 'stored configuration content is invalid: the configuration targets nothing');
        leaves = null;
      }
      this.leavesCache.set(key, leaves);
    }
    return leaves;
  }

  /** A custom metric: the number of rows its query returns (-1 when the query cannot run). */
  private count(query: string): number {
    try {
      const ast = parseQuery(query);
      const plain = ast.from === 'devices' && ast.groupBy.length === 0 && ast.top === undefined && (ast.select === '*' || ast.select.every((p) => p.expr.kind === 'path'));
      if (plain) return this.queries.matchDevices({ kind: 'condition', text: query, collection: 'devices', where: ast.where }).length;
      let rows = 0;
      let continuation: string | undefined;
      do {
        const page = this.queries.execute(query, { pageSize: 100, ...(continuation ? { continuation } : {}) });
        rows += page.items.length;
        continuation = page.continuation;
      } while (continuation);
      return rows;
    } catch (error) {
      this.options.logger.warn({ query, err: error }, 'configuration metric query failed');
      return -1;
    }
  }
}
