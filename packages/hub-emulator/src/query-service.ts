import { isModuleKey, type DeviceJobRecord, type Twin } from '@hubemu/shared';
import { QueryEngine, type ConditionAst, type QueryPage, type QueryPageRequest } from './query/index.js';
import type { DeviceTable } from './registry/device-table.js';

/**
 * The query engine over the hub's live data. Twin changes are collected as dirty keys and handed to
 * the engine (rendered once) just before the next query, so a device reporting many times between
 * queries costs one render, and the write path never renders for the query engine.
 */
export class QueryService {
  private engine: QueryEngine;
  private readonly dirty = new Set<string>();
  private catching: Promise<void> | undefined;
  private deviceJobs: () => Iterable<DeviceJobRecord> = () => [];

  constructor(
    private readonly table: DeviceTable,
    private readonly options: { loose: boolean; secret: () => string },
  ) {
    this.engine = this.newEngine();
    table.onChange((key) => this.dirty.add(key));
  }

  private newEngine(): QueryEngine {
    return new QueryEngine(
      { devices: this.table.deviceTwins, modules: this.table.moduleTwins, deviceJobs: { list: () => this.deviceJobs() } },
      { loose: this.options.loose, secret: this.options.secret() },
    );
  }

  /** Forgets snapshots and indexes (after the store was emptied). */
  reset(): void {
    this.dirty.clear();
    this.engine = this.newEngine();
  }

  /** Where `FROM devices.jobs` rows come from (the job service). */
  setDeviceJobsSource(list: () => Iterable<DeviceJobRecord>): void {
    this.deviceJobs = list;
  }

  execute(query: string, page?: QueryPageRequest): QueryPage {
    this.flush();
    return this.engine.execute(query, page);
  }

  /**
   * Hands pending twin changes to the engine in chunks, yielding to the event loop between them, so
   * a query, a job start or a configuration pass after thousands of twin changes does not stall device
   * traffic. Callers that come while a catch-up is under way share it (one chunk per turn, not one per
   * caller). When it resolves, at most `chunk` changes are left for the query itself to hand over.
   */
  catchUp(chunk = 500): Promise<void> {
    this.catching ??= this.drain(chunk).finally(() => {
      this.catching = undefined;
    });
    return this.catching;
  }

  private async drain(chunk: number): Promise<void> {
    while (this.dirty.size > chunk) {
      let n = 0;
      for (const key of this.dirty) {
        this.hand(key);
        if (++n >= chunk) break;
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Device twins matching a WHERE condition (`*` for all): jobs' queryCondition, configurations' targetCondition. */
  matchDevices(condition: string | ConditionAst): Twin[] {
    this.flush();
    return this.engine.matchDevices(condition);
  }

  /** Module twins matching a WHERE condition (module configurations). */
  matchModules(condition: string | ConditionAst): Twin[] {
    this.flush();
    const where = typeof condition === 'string' ? condition : undefined;
    if (where === undefined) throw new Error('matchModules takes the condition text');
    const query = where.trim() === '*' ? 'SELECT * FROM devices.modules' : `SELECT * FROM devices.modules WHERE ${where}`;
    const out: Twin[] = [];
    let continuation: string | undefined;
    do {
      const page = this.engine.execute(query, { pageSize: 100, ...(continuation ? { continuation } : {}) });
      out.push(...(page.items as Twin[]));
      continuation = page.continuation;
    } while (continuation);
    return out;
  }

  private flush(): void {
    for (const key of this.dirty) this.hand(key);
  }

  private hand(key: string): void {
    this.dirty.delete(key);
    this.engine.onTwinChanged(isModuleKey(key) ? 'modules' : 'devices', key, this.table.twin(key));
  }
}
