import { HubError, type DeviceJobRecord, type Twin } from '@hubemu/shared';
import { z } from 'zod';
import { resolveCandidates, planAccess } from './access-plan.js';
import type { ConditionAst } from './ast.js';
import { compileCondition, type Test } from './compile-expression.js';
import { ContinuationCodec } from './continuation.js';
import { collectMatches, groupPage, orderedPage, streamPage, type PageResult } from './page.js';
import { parseCondition, parseQuery } from './parser.js';
import { planQuery, type QueryItemType, type QueryPlan } from './query-plan.js';
import { jobKey, type QuerySources, type TwinCollectionName } from './sources.js';
import type { Candidates } from './tag-index.js';
import { TwinCollection } from './twin-collection.js';

export const MAX_PAGE_SIZE = 100;
const PLAN_CACHE_SIZE = 256;

export const QueryEngineOptionsSchema = z.object({
  /** Accept hubemu's documented extensions to the dialect (see docs/query.md). */
  loose: z.boolean().optional(),
  /** HMAC key for continuation tokens; a random one per engine when absent. */
  secret: z.string().min(1).optional(),
});
export type QueryEngineOptions = z.infer<typeof QueryEngineOptionsSchema>;

export interface QueryPageRequest {
  /** 1..100; larger values are clamped to 100. Default 100. */
  pageSize?: number;
  /** The token of the previous page, or undefined for the first page. */
  continuation?: string;
}

export interface QueryPage {
  items: unknown[];
  /** Present only while more pages remain. */
  continuation?: string;
  itemType: QueryItemType;
}

/**
 * The IoT Hub query engine: parses, validates and compiles queries (cached by text), finds
 * candidates through indexes or a key-ordered scan, and pages results with signed tokens.
 * Result items are the stored documents themselves (or projections of them): treat them as read-only.
 */
export class QueryEngine {
  private readonly loose: boolean;
  private readonly codec: ContinuationCodec;
  private readonly collections: Readonly<Record<TwinCollectionName, TwinCollection>>;
  private readonly plans = new Map<string, QueryPlan>();
  private readonly conditions = new Map<string, { ast: ConditionAst; test: Test }>();

  constructor(
    private readonly sources: QuerySources,
    options: QueryEngineOptions = {},
  ) {
    const parsed = QueryEngineOptionsSchema.parse(options);
    this.loose = parsed.loose === true;
    this.codec = new ContinuationCodec(parsed.secret);
    this.collections = {
      devices: new TwinCollection('devices', sources.devices),
      modules: new TwinCollection('modules', sources.modules),
    };
  }

  /** One page. pageSize 1..100 (default 100). continuation: the token from the previous page, or undefined. */
  execute(query: string, page: QueryPageRequest = {}): QueryPage {
    const plan = this.plan(query);
    const pageSize = pageSizeOf(page.pageSize);
    const cursor =
      page.continuation === undefined || page.continuation === ''
        ? undefined
        : this.codec.read(page.continuation, plan.fingerprint);
    const emitted = cursor?.emitted ?? 0;
    const top = plan.ast.top;
    const limit = top === undefined ? pageSize : Math.min(pageSize, top - emitted);
    if (limit <= 0) return { items: [], itemType: plan.itemType };
    const result = this.run(plan, cursor?.after, limit);
    const total = emitted + result.items.length;
    const more = result.more && result.last !== undefined && (top === undefined || total < top);
    const out: QueryPage = { items: result.items, itemType: plan.itemType };
    if (more) out.continuation = this.codec.issue(plan.fingerprint, { after: result.last as string, emitted: total });
    return out;
  }

  /** All device twins matching a WHERE condition (jobs' queryCondition, configurations' targetCondition), by deviceId. */
  matchDevices(condition: string | ConditionAst): Twin[] {
    const { ast, test } = this.condition(condition);
    if (ast.collection !== 'devices') {
      throw new HubError('ArgumentInvalid', `matchDevices takes a condition on devices, not on ${ast.collection}`);
    }
    const devices = this.collections.devices;
    const candidates = resolveCandidates(planAccess(ast.where, 'devices'), devices) ?? devices.snapshot();
    return collectMatches(candidates, ast.where === undefined ? undefined : test).docs.slice() as Twin[];
  }

  /** Index maintenance: the twin service calls this after every write (twin undefined = deleted). */
  onTwinChanged(collection: 'devices' | 'modules', key: string, twin: Twin | undefined): void {
    this.collections[collection].changed(key, twin);
  }

  private run(plan: QueryPlan, after: string | undefined, limit: number): PageResult {
    const { candidates, filtered } = this.candidates(plan);
    const test = filtered || plan.ast.where === undefined ? undefined : plan.test;
    const { shape } = plan;
    switch (shape.kind) {
      case 'stream':
        return streamPage(candidates, test, shape.project, after, limit);
      case 'ordered':
        return orderedPage(collectMatches(candidates, test), shape.keys, shape.descending, shape.project, after, limit);
      case 'aggregate':
        return groupPage(shape.aggregation.run(collectMatches(candidates, test).docs), after, limit);
    }
  }

  private candidates(plan: QueryPlan): { candidates: Candidates; filtered: boolean } {
    if (plan.ast.from === 'devices.jobs') return { candidates: this.jobCandidates(plan.test), filtered: true };
    const collection = this.collections[plan.ast.from === 'devices' ? 'devices' : 'modules'];
    const indexed = resolveCandidates(plan.access, collection);
    return { candidates: indexed ?? collection.snapshot(), filtered: false };
  }

  /** Job rows are few and not indexed: filter them, then order the matches by (deviceId, jobId). */
  private jobCandidates(test: Test): Candidates {
    const matches: Array<[string, DeviceJobRecord]> = [];
    for (const record of this.sources.deviceJobs.list()) {
      if (test(record)) matches.push([jobKey(record), record]);
    }
    matches.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return { keys: matches.map((m) => m[0]), docs: matches.map((m) => m[1]) };
  }

  private plan(query: string): QueryPlan {
    const cached = this.plans.get(query);
    if (cached !== undefined) return cached;
    const plan = planQuery(parseQuery(query, { loose: this.loose }));
    remember(this.plans, query, plan);
    return plan;
  }

  private condition(condition: string | ConditionAst): { ast: ConditionAst; test: Test } {
    if (typeof condition !== 'string') return { ast: condition, test: compileCondition(condition) };
    const cached = this.conditions.get(condition);
    if (cached !== undefined) return cached;
    const ast = parseCondition(condition, { loose: this.loose });
    const entry = { ast, test: compileCondition(ast) };
    remember(this.conditions, condition, entry);
    return entry;
  }
}

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  if (cache.size >= PLAN_CACHE_SIZE) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(key, value);
}

function pageSizeOf(requested: number | undefined): number {
  if (requested === undefined) return MAX_PAGE_SIZE;
  if (!Number.isInteger(requested) || requested < 1) {
    throw new HubError('ArgumentInvalid', `The page size must be a whole number from 1 to ${MAX_PAGE_SIZE} - got ${requested}.`);
  }
  return Math.min(requested, MAX_PAGE_SIZE);
}
