import { HubError } from '@hubemu/shared';
import { Redis } from 'ioredis';
import { COLLECTION_NAMES, type Collection, type CollectionName, type RemoteWrite, type Store } from '../collection.js';
import { MemoryCollection } from '../memory-store.js';
import type { RecordSchemas } from '../log-replay.js';
import type { StoreNotice } from '../store-notice.js';
import { COMMIT_SCRIPT } from './commit-script.js';
import { reconnect } from './redis-connections.js';
import { RedisKeys } from './redis-keys.js';
import { StaleUnit, Unit, type UnitWrite } from './unit.js';

export interface RedisStoreOptions {
  url: string;
  /** Keys live under `hubemu:{<namespace>}:`. */
  namespace: string;
  /** This process's name, written into every log entry so it skips its own. */
  processId: string;
  /** Entries the commit log keeps (approximately). */
  logLength: number;
  /** Start on a Redis whose append-only file is off. */
  volatile?: boolean;
  onNotice?: (notice: StoreNotice) => void;
  /** Schemas of stored values per collection, checked for every record loaded from Redis: a bad one is left out and reported. */
  schemas?: RecordSchemas;
  /** How often a unit refused as stale is run before the caller gets ServiceUnavailable. Default 20. */
  maxAttempts?: number;
}

/** Units per commit call; a busy tick's writes wait for the next call. */
const MAX_WRITES_PER_CALL = 500;

type CommitReply = number[];

interface CommitClient extends Redis {
  hubemuCommit(rev: string, revs: string, log: string, ...args: Array<string | number>): Promise<CommitReply>;
}

/**
 * State shared by the processes of a hub cluster through Redis (docs/scale-out.md). Each process keeps a
 * full replica in memory, so reads stay synchronous and local; writes apply to the replica at once and
 * are committed in batches, one Lua call per batch (`COMMIT_SCRIPT`), each unit checked against the
 * revisions its writer read. A dedicated connection tails the commit log and applies other processes'
 * units to the replica. `transaction` reruns a unit another process overtook; `fence` makes a read wait
 * for every write acknowledged before it, wherever it was made.
 */
export class RedisStore implements Store {
  readonly replicated = true;
  private readonly keys: RedisKeys;
  private readonly commands: CommitClient;
  private readonly tail: Redis;
  private readonly collections = new Map<CollectionName, MemoryCollection<unknown>>();
  /** Revision of each key as last committed (`<collection>\0<key>`), deleted keys included. */
  private readonly revs = new Map<string, number>();
  /** The newest unit of this process that wrote a key and has not been answered yet. */
  private readonly pendingOf = new Map<string, Unit>();
  private readonly remoteListeners: Array<(write: RemoteWrite) => void> = [];
  private readonly clearListeners: Array<() => void> = [];
  private readonly notify: (notice: StoreNotice) => void;
  private readonly maxAttempts: number;
  /** The unit `transaction` is running, if any. */
  private current: Unit | undefined;
  /** Implicit single-key units of this tick (writes made outside a transaction), by key. */
  private implicit = new Map<string, Unit>();
  private queue: Unit[] = [];
  private inFlight: Promise<void> | undefined;
  private flushQueued = false;
  /** Highest revision the tail has applied (or skipped as this process's own). */
  private appliedRev = 0;
  private lastId = '0-0';
  private readonly waiters: Array<{ rev: number; resolve: () => void }> = [];
  /** The fence whose `GET rev` is on its way, and the one callers arriving meanwhile share. */
  private currentFence: Promise<void> | undefined;
  private nextFence: Promise<void> | undefined;
  /** The last unit sent to Redis (what `settled` waits for when nothing is queued). */
  private lastSent: Unit | undefined;
  private resyncing: Promise<void> | undefined;
  private closed = false;
  /** Times the store was emptied (here or by another process). */
  private epoch = 0;

  private constructor(private readonly options: RedisStoreOptions) {
    this.keys = new RedisKeys(options.namespace);
    this.notify = options.onNotice ?? (() => {});
    this.maxAttempts = options.maxAttempts ?? 20;
    // Reconnect within half a second of Redis coming back: reads wait for the tail, so it must not lag behind.
    const base = { lazyConnect: true, maxRetriesPerRequest: 2, enableAutoPipelining: true, connectionName: `hubemu-${options.processId}`, retryStrategy: reconnect };
    this.commands = new Redis(options.url, base) as CommitClient;
    this.commands.defineCommand('hubemuCommit', { numberOfKeys: 3, lua: COMMIT_SCRIPT });
    this.tail = new Redis(options.url, { ...base, enableAutoPipelining: false, maxRetriesPerRequest: null });
    // ioredis reconnects by itself; a failed command is answered to its caller, so the connection's errors are only noticed.
    let down = false;
    const noticeDown = (error: Error): void => {
      if (down || this.closed) return;
      down = true;
      this.notice('error', 'writeRefused', `lost the connection to Redis, writes are refused until it is back: ${error.message}`);
    };
    this.commands.on('error', noticeDown);
    this.tail.on('error', () => undefined);
    this.commands.on('ready', () => (down = false));
    for (const name of COLLECTION_NAMES) this.collections.set(name, new MemoryCollection<unknown>((key, value) => this.record(name, key, value)));
  }

  /** Connects, checks Redis's persistence, loads the replica and starts tailing. */
  static async open(options: RedisStoreOptions): Promise<RedisStore> {
    const store = new RedisStore(options);
    try {
      await store.commands.connect();
      await store.tail.connect();
      await store.checkPersistence();
      await store.load();
    } catch (error) {
      store.commands.disconnect();
      store.tail.disconnect();
      const text = error instanceof Error ? error.message : String(error);
      throw new Error(`Could not use Redis at ${options.url}: ${text}`);
    }
    void store.follow();
    store.commands.on('ready', () => void store.resync('Redis came back'));
    return store;
  }

  collection<T>(name: CollectionName): Collection<T> {
    return this.collections.get(name) as unknown as Collection<T>;
  }

  onRemote(listener: (write: RemoteWrite) => void): void {
    this.remoteListeners.push(listener);
  }

  onRemoteClear(listener: () => void): void {
    this.clearListeners.push(listener);
  }

  note(collection: CollectionName, key: string, note: unknown): void {
    const id = idOf(collection, key);
    const write = (this.current ?? this.implicit.get(id))?.writes.get(id);
    if (write) write.note = note;
  }

  afterCommit(fn: () => void): void {
    if (this.current) this.current.afterCommit.push(fn);
    else fn();
  }

  transaction<R>(fn: () => R): R | Promise<R> {
    if (this.current) return fn();
    return this.attempt(fn, 1);
  }

  private attempt<R>(fn: () => R, attempt: number): R | Promise<R> {
    const unit = new Unit(this.epoch);
    this.current = unit;
    let result: { ok: true; value: R } | { ok: false; error: unknown };
    try {
      result = { ok: true, value: fn() };
    } catch (error) {
      result = { ok: false, error };
    } finally {
      this.current = undefined;
    }
    const settle = (): R => {
      if (result.ok) return result.value;
      throw result.error;
    };
    if (unit.writes.size === 0) {
      for (const fn of unit.afterCommit) fn();
      return settle();
    }
    this.enqueue(unit);
    return unit.done.then(settle, async (error: unknown) => {
      if (!(error instanceof StaleUnit)) throw error;
      if (attempt >= this.maxAttempts) throw new HubError('ServiceUnavailable', 'Other hub processes kept changing the same data; retry the request.');
      await this.restore(unit);
      // Two processes hammering one key take turns: a random pause, growing with each refusal, breaks the lockstep.
      if (attempt > 2) await new Promise((resolve) => setTimeout(resolve, Math.random() * attempt * 2));
      return this.attempt(fn, attempt + 1);
    });
  }

  settled(): Promise<void> | undefined {
    const last = this.queue.at(-1) ?? this.lastSent;
    if (!last) return undefined;
    return last.done.then(
      () => undefined,
      () => undefined,
    );
  }

  fence(): Promise<void> {
    // A read waits for a revision asked for after it started: callers that arrive while a GET is on its way share the next one.
    this.nextFence ??= (this.currentFence ?? Promise.resolve())
      .catch(() => undefined)
      .then(async () => {
        this.currentFence = this.nextFence;
        this.nextFence = undefined;
        let rev: number;
        try {
          rev = Number((await this.commands.get(this.keys.rev)) ?? 0);
        } catch (error) {
          throw new HubError('ServiceUnavailable', `The hub could not reach its shared state in Redis (${text(error)}); retry when Redis is back.`);
        } finally {
          this.currentFence = undefined;
        }
        await this.caughtUp(rev);
      });
    return this.nextFence;
  }

  clear(): void {
    const unit = new Unit(this.epoch);
    unit.clear = true;
    this.forgetAll();
    this.enqueue(unit);
    unit.done.catch((error: unknown) => this.notice('error', 'writeRefused', `could not empty the shared state: ${text(error)}`));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.drain();
    this.closed = true;
    // Not awaited: a tail waiting to reconnect keeps its read pending forever, and the loop ends on its own once `closed`.
    this.tail.disconnect();
    await this.commands.quit().catch(() => undefined);
  }

  /** Resolves when nothing is queued or in flight. */
  private async drain(): Promise<void> {
    while (this.inFlight || this.queue.length > 0) {
      if (!this.inFlight) this.flush();
      await this.inFlight;
    }
  }

  // ---- writes ----

  /** Called by a collection before it changes memory: the write joins the running unit, or an implicit one. */
  private record(collection: CollectionName, key: string, value: unknown): void {
    if (this.closed) throw new HubError('ServiceUnavailable', 'The hub is stopping and cannot store the change.');
    const id = idOf(collection, key);
    let unit = this.current;
    if (!unit) {
      unit = this.implicit.get(id);
      if (!unit) {
        unit = new Unit(this.epoch);
        this.implicit.set(id, unit);
        this.enqueue(unit);
        const implicit = unit;
        unit.done.catch((error: unknown) => {
          this.notice('warn', 'writeRefused', `a write of ${collection}/${key} made outside a transaction was refused: ${text(error)}`);
          if (error instanceof StaleUnit) this.restore(implicit).catch(() => this.resync('a refused write could not be undone'));
        });
      }
    }
    const existing = unit.writes.get(id);
    if (existing) {
      existing.value = value;
      return;
    }
    const basis = this.pendingOf.get(id) ?? this.revs.get(id) ?? 0;
    const write: UnitWrite = { collection, key, basis, value };
    unit.writes.set(id, write);
    this.pendingOf.set(id, unit);
  }

  private enqueue(unit: Unit): void {
    this.queue.push(unit);
    if (this.flushQueued || this.inFlight) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      if (!this.inFlight) this.flush();
    });
  }

  /** Sends the queued units in one call; the next call waits for its answer, so a unit can build on an earlier one's revision. */
  private flush(): void {
    this.implicit = new Map();
    if (this.queue.length === 0) return;
    const batch: Unit[] = [];
    let writes = 0;
    while (this.queue.length > 0 && (batch.length === 0 || writes + (this.queue[0] as Unit).writes.size <= MAX_WRITES_PER_CALL)) {
      const unit = this.queue.shift() as Unit;
      writes += unit.writes.size;
      batch.push(unit);
    }
    this.lastSent = batch.at(-1);
    const args = this.commitArgs(batch);
    this.inFlight = this.commands
      .hubemuCommit(this.keys.rev, this.keys.revs, this.keys.log, ...args)
      .then(
        (reply) => this.answered(batch, reply),
        (error: unknown) => this.failed(batch, error),
      )
      .finally(() => {
        this.inFlight = undefined;
        if (this.queue.length > 0) this.flush();
      });
  }

  private commitArgs(batch: Unit[]): Array<string | number> {
    const args: Array<string | number> = [this.keys.collectionPrefix, this.options.logLength, this.options.processId, batch.length];
    const index = new Map<Unit, number>(batch.map((unit, i) => [unit, i + 1]));
    for (const unit of batch) {
      if (unit.clear) {
        args.push(-COLLECTION_NAMES.length, ...COLLECTION_NAMES);
        continue;
      }
      args.push(unit.writes.size);
      for (const w of unit.writes.values()) {
        args.push(w.collection, w.key, expectedOf(w.basis, index), w.value === undefined ? '' : JSON.stringify(w.value), w.note === undefined ? '' : JSON.stringify(w.note));
      }
    }
    return args;
  }

  private answered(batch: Unit[], reply: CommitReply): void {
    batch.forEach((unit, i) => {
      const rev = reply[i] ?? 0;
      unit.rev = rev;
      const current = unit.epoch === this.epoch;
      for (const id of unit.writes.keys()) {
        if (this.pendingOf.get(id) === unit) this.pendingOf.delete(id);
        if (current && rev > 0 && rev > (this.revs.get(id) ?? 0)) this.revs.set(id, rev);
      }
      if (rev > 0) {
        for (const fn of unit.afterCommit) fn();
        unit.resolve();
      } else unit.reject(new StaleUnit());
    });
  }

  private failed(batch: Unit[], error: unknown): void {
    this.notice('error', 'writeRefused', `Redis refused a commit, the replica reloads when Redis answers again: ${text(error)}`);
    for (const unit of batch) {
      for (const id of unit.writes.keys()) if (this.pendingOf.get(id) === unit) this.pendingOf.delete(id);
      unit.reject(new HubError('ServiceUnavailable', `The hub could not store the change: Redis did not answer (${text(error)}). Nothing was changed.`));
    }
    void this.resync('a commit failed');
  }

  /** After a unit was refused, loads what Redis holds for its keys (its writes were applied here and never committed). */
  private async restore(unit: Unit): Promise<void> {
    const ids = [...unit.writes.keys()];
    const revs = await this.commands.hmget(this.keys.revs, ...ids);
    const values = await Promise.all([...unit.writes.values()].map((w) => this.commands.hget(this.keys.collection(w.collection), w.key)));
    ids.forEach((id, i) => {
      const w = unit.writes.get(id) as UnitWrite;
      const rev = Number(revs[i] ?? 0);
      if (this.pendingOf.has(id) || rev < (this.revs.get(id) ?? 0)) return;
      this.revs.set(id, rev);
      const raw = values[i];
      this.apply(w.collection, w.key, raw === null || raw === undefined ? undefined : JSON.parse(raw), undefined, true);
    });
  }

  // ---- the tail ----

  /** Loads every collection and the revisions as one snapshot, then notes where the log stood. */
  private async load(): Promise<void> {
    const multi = this.commands.multi();
    multi.xrevrange(this.keys.log, '+', '-', 'COUNT', 1);
    multi.get(this.keys.rev);
    multi.hgetall(this.keys.revs);
    for (const name of COLLECTION_NAMES) multi.hgetall(this.keys.collection(name));
    const replies = (await multi.exec()) ?? [];
    const results = replies.map(([error, value]) => {
      if (error) throw error;
      return value;
    });
    const last = results[0] as Array<[string, string[]]>;
    const rev = Number(results[1] ?? 0);
    const revs = results[2] as Record<string, string>;
    const firstLoad = this.appliedRev === 0 && this.lastId === '0-0';
    const seen = new Set<string>();
    COLLECTION_NAMES.forEach((name, i) => {
      const hash = results[3 + i] as Record<string, string>;
      const collection = this.collections.get(name) as MemoryCollection<unknown>;
      for (const [key, raw] of Object.entries(hash)) {
        const id = idOf(name, key);
        const value = this.checked(name, key, raw);
        if (value === undefined) continue;
        seen.add(id);
        const r = Number(revs[id] ?? 0);
        if (!firstLoad && r === (this.revs.get(id) ?? 0) && !this.pendingOf.has(id)) continue;
        this.revs.set(id, r);
        this.apply(name, key, value, undefined, !firstLoad);
      }
      if (firstLoad) return;
      for (const key of [...collection.keys()]) {
        const id = idOf(name, key);
        if (seen.has(id)) continue;
        this.revs.set(id, Number(revs[id] ?? 0));
        this.apply(name, key, undefined, undefined, true);
      }
    });
    this.pendingOf.clear();
    this.lastId = last[0]?.[0] ?? '0-0';
    this.appliedRev = rev;
    this.wake();
  }

  /** A record read from Redis, parsed and checked against its collection's schema; undefined (and reported) when it is not one the hub could use. */
  private checked(collection: CollectionName, key: string, raw: string): unknown {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      this.notice('error', 'badRecord', `${collection}/${key} in Redis is not JSON and is left out: ${text(error)}`);
      return undefined;
    }
    const schema = this.options.schemas?.[collection];
    const result = schema?.safeParse(value);
    if (result && !result.success) {
      this.notice('error', 'badRecord', `${collection}/${key} in Redis is not a record the hub can use and is left out: ${result.error.issues[0]?.message ?? 'invalid'}`);
      return undefined;
    }
    return value;
  }

  private async follow(): Promise<void> {
    while (!this.closed) {
      let reply: Array<[string, Array<[string, string[]]>]> | null;
      try {
        reply = (await this.tail.xread('COUNT', 500, 'BLOCK', 1000, 'STREAMS', this.keys.log, this.lastId)) as typeof reply;
      } catch (error) {
        if (this.closed) return;
        this.notice('warn', 'tailFailed', `reading the commit log failed, retrying: ${text(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          let applied: boolean;
          try {
            applied = this.applyEntry(fields);
          } catch (error) {
            // An entry this process cannot read (written by something else than a hub): reload rather than guess.
            this.notice('error', 'badRecord', `a commit log entry (${id}) could not be applied: ${text(error)}`);
            applied = false;
          }
          if (!applied) {
            await this.resync('the commit log does not follow on from what this process applied');
            break;
          }
          this.lastId = id;
        }
      }
      this.wake();
      // Let requests run between large batches.
      if (reply) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Applies one log entry; false when it does not follow what was applied before (a gap). */
  private applyEntry(fields: string[]): boolean {
    const own = fields[1] === this.options.processId;
    let last: { collection: CollectionName; key: string; value: unknown; previous: unknown } | undefined;
    for (let i = 2; i < fields.length; i += 2) {
      const field = fields[i] as string;
      const raw = fields[i + 1] as string;
      if (field === 'n') {
        if (last && !own) this.emitRemote({ ...last, note: JSON.parse(raw) as unknown });
        last = undefined;
        continue;
      }
      if (last && !own) this.emitRemote(last);
      last = undefined;
      if (field === 'clear') {
        const rev = Number(raw);
        if (rev <= this.appliedRev) continue;
        if (rev > this.appliedRev + 1) return false;
        this.appliedRev = rev;
        if (own) continue;
        this.forgetAll();
        for (const listener of this.clearListeners) listener();
        continue;
      }
      const [revText, name, key] = field.split('\0') as [string, CollectionName, string];
      const rev = Number(revText);
      if (rev > this.appliedRev + 1) return false;
      if (rev > this.appliedRev) this.appliedRev = rev;
      if (own) continue;
      const id = idOf(name, key);
      if (rev <= (this.revs.get(id) ?? 0)) continue;
      this.revs.set(id, rev);
      this.pendingOf.delete(id);
      last = this.apply(name, key, raw === '' ? undefined : JSON.parse(raw), undefined, false);
    }
    if (last && !own) this.emitRemote(last);
    return true;
  }

  /** Empties the replica: values, revisions, and what units in flight could still say about them. */
  private forgetAll(): void {
    for (const c of this.collections.values()) c.clear();
    this.revs.clear();
    this.pendingOf.clear();
    this.epoch += 1;
  }

  /** Puts a value into the replica without recording it; tells the listeners when `emit`. */
  private apply(collection: CollectionName, key: string, value: unknown, note: unknown, emit: boolean): { collection: CollectionName; key: string; value: unknown; previous: unknown } {
    const c = this.collections.get(collection) as MemoryCollection<unknown>;
    const previous = c.get(key);
    c.load(key, value);
    const write = { collection, key, value, previous, ...(note === undefined ? {} : { note }) };
    if (emit) this.emitRemote(write);
    return write;
  }

  private emitRemote(write: RemoteWrite): void {
    for (const listener of this.remoteListeners) {
      try {
        listener(write);
      } catch (error) {
        this.notice('error', 'listenerFailed', `a listener of ${write.collection}/${write.key} failed: ${text(error)}`);
      }
    }
  }

  private caughtUp(rev: number): Promise<void> {
    if (this.appliedRev >= rev) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ rev, resolve }));
  }

  private wake(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i] as { rev: number; resolve: () => void };
      if (waiter.rev > this.appliedRev) continue;
      this.waiters.splice(i, 1);
      waiter.resolve();
    }
  }

  /** Reloads the replica from Redis (after a gap in the log, a failed commit or a reconnect), telling listeners what changed. */
  private resync(reason: string): Promise<void> {
    if (this.closed || this.appliedRev === 0) return Promise.resolve();
    this.resyncing ??= (async () => {
      try {
        await this.drainQuietly();
        this.notice('warn', 'resync', `reloading the shared state: ${reason}`);
        await this.load();
      } catch (error) {
        this.notice('error', 'resync', `could not reload the shared state: ${text(error)}`);
      } finally {
        this.resyncing = undefined;
      }
    })();
    return this.resyncing;
  }

  private async drainQuietly(): Promise<void> {
    await this.inFlight?.catch(() => undefined);
  }

  private async checkPersistence(): Promise<void> {
    const [, appendonly] = (await this.commands.config('GET', 'appendonly')) as [string, string];
    if (appendonly !== 'yes' && !this.options.volatile) {
      throw new Error(
        "its append-only file is off (appendonly no), so Redis would lose acknowledged writes when it stops. Start it with 'redis-server --appendonly yes', or accept the risk with --redis-volatile (redis.volatile).",
      );
    }
  }

  private notice(level: StoreNotice['level'], kind: StoreNotice['kind'], message: string): void {
    this.notify({ level, kind, file: this.options.url, message });
  }
}

function idOf(collection: CollectionName, key: string): string {
  return `${collection}\0${key}`;
}

function expectedOf(basis: number | Unit, index: Map<Unit, number>): string {
  if (typeof basis === 'number') return String(basis);
  const i = index.get(basis);
  if (i !== undefined) return `@${i}`;
  // The unit it built on was answered before this batch was sent; a refused one matches nothing.
  return basis.rev > 0 ? String(basis.rev) : '-1';
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
