import { constants, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, renameSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { HubError } from '@hubemu/shared';
import { EmbeddedStore, type Collection, type CollectionName, type Store } from './collection.js';
import { replayLog, type LogLine, type RecordSchemas } from './log-replay.js';
import { closeQuietly, errorText, removeQuietly, writeFully } from './log-writes.js';
import { MemoryCollection } from './memory-store.js';
import type { StoreNotice } from './store-notice.js';

export interface DurableStoreOptions {
  /** fsync after every write: survives power loss, not only a killed process. Default false. */
  fsync?: boolean;
  /** Schemas of stored values per collection, checked for every record replayed at open. */
  schemas?: RecordSchemas;
  /** Move records that fail validation to `state.rejected.jsonl` and start, instead of refusing to start. */
  repair?: boolean;
  /** Told about torn lines cut, records moved aside, failed compactions and refused writes. */
  onNotice?: (notice: StoreNotice) => void;
  /** How often the store checks that its log is still the file at its path. Default 1000 ms. */
  checkIntervalMs?: number;
}

const LOG_FILE = 'state.jsonl';
const REJECTED_FILE = 'state.rejected.jsonl';

/** Collections whose writes are not worth an fsync each (with `fsync`): presence changes with every connect storm. */
const NO_FSYNC: ReadonlySet<CollectionName> = new Set(['presence']);

/** A small fleet writing fast would otherwise rewrite its whole state every few thousand writes. */
const MIN_LINES_BEFORE_COMPACTION = 20_000;

/** After a failed compaction, the next attempt waits for this many more writes. */
const COMPACTION_RETRY_LINES = 1_000;

/**
 * A write-ahead log of JSON lines in `<dir>/state.jsonl`, replayed and validated into memory at open
 * and compacted whenever it grows to twice the live data. Each write reaches the kernel in full before
 * `put` returns (so an acknowledged write survives `kill -9`; with `fsync` also power loss); a write
 * that fails or comes up short is cut off again and refused with ServiceUnavailable, and memory keeps
 * the previous value. A failed compaction keeps the old log in use and is retried later. A log deleted
 * or replaced under the hub is noticed within `checkIntervalMs` and every later write is refused.
 */
export class DurableStore extends EmbeddedStore implements Store {
  private readonly collections = new Map<CollectionName, MemoryCollection<unknown>>();
  private readonly path: string;
  private readonly notify: (notice: StoreNotice) => void;
  /** The append descriptor; undefined once closed. Replaced only by a complete compacted log. */
  private fd: number | undefined;
  /** Bytes of complete, acknowledged lines: where the next line goes. */
  private size = 0;
  /** A failed write may have left bytes past `size`: they are cut before the next write. */
  private dirty = false;
  private logLines = 0;
  private compactAfterLines = 0;
  private refusing = false;
  private lost: string | undefined;
  private identity = { dev: 0, ino: 0 };
  private readonly timer: NodeJS.Timeout;

  constructor(
    dir: string,
    private readonly options: DurableStoreOptions = {},
  ) {
    super();
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, LOG_FILE);
    this.notify = options.onNotice ?? (() => {});
    const repaired = this.replay(join(dir, REJECTED_FILE));
    const fd = openSync(this.path, constants.O_WRONLY | constants.O_CREAT);
    this.adopt(fd);
    if ((repaired || this.bloated()) && !this.compact() && repaired) {
      this.close();
      throw new Error(`${this.path}: bad records were moved aside but the log could not be rewritten without them`);
    }
    this.timer = setInterval(() => this.checkLogIdentity(), options.checkIntervalMs ?? 1000).unref();
  }

  collection<T>(name: CollectionName): Collection<T> {
    return this.ensure(name) as unknown as Collection<T>;
  }

  clear(): void {
    if (!this.rewrite(() => '')) throw this.unavailable('The hub could not empty its state log. Nothing was changed.');
    for (const c of this.collections.values()) c.clear();
  }

  close(): void {
    clearInterval(this.timer);
    const fd = this.fd;
    if (fd === undefined) return;
    this.fd = undefined;
    try {
      if (this.dirty) ftruncateSync(fd, this.size);
      if (this.options.fsync) fsyncSync(fd);
    } catch (error) {
      this.notify({ level: 'error', kind: 'closeFailed', file: this.path, message: `could not flush the log at close: ${errorText(error)}` });
    }
    closeQuietly(fd);
  }

  private ensure(name: CollectionName): MemoryCollection<unknown> {
    let c = this.collections.get(name);
    if (!c) {
      const fsync = this.options.fsync === true && !NO_FSYNC.has(name);
      c = new MemoryCollection<unknown>((key, value) => this.append({ c: name, k: key, v: value }, fsync));
      this.collections.set(name, c);
    }
    return c;
  }

  /** Called before memory changes: throwing here refuses the write and leaves memory as it was. */
  private append(line: LogLine, fsync: boolean): void {
    const fd = this.fd;
    if (fd === undefined) throw this.unavailable('The hub is stopping and cannot store the change.');
    if (this.lost !== undefined) throw this.unavailable(this.lost);
    const text = `${JSON.stringify(line)}\n`;
    try {
      if (this.dirty) ftruncateSync(fd, this.size);
      this.dirty = true;
      const written = writeFully(fd, text, this.size);
      if (fsync) fsyncSync(fd);
      this.dirty = false;
      this.size += written;
    } catch (error) {
      this.cutBack(fd);
      throw this.refuse(error);
    }
    if (this.refusing) {
      this.refusing = false;
      this.notify({ level: 'info', kind: 'writesRecovered', file: this.path, message: 'the log accepts writes again' });
    }
    this.logLines += 1;
    // The line just written is not in memory yet: the compacted log ends with it.
    if (this.bloated()) this.compact(text);
  }

  /** Cuts what a failed write left behind, so the log ends on a complete line; if that fails too, the next write tries again. */
  private cutBack(fd: number): void {
    try {
      ftruncateSync(fd, this.size);
      this.dirty = false;
    } catch {
      // `dirty` stays set: the next write cuts first, or is refused
    }
  }

  private refuse(error: unknown): HubError {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    if (!this.refusing) {
      this.refusing = true;
      this.notify({ level: 'error', kind: 'writeRefused', file: this.path, message: `writes are refused until the log accepts them again: ${errorText(error)}` });
    }
    return this.unavailable(`The hub could not store the change (${code}). Nothing was changed - retry when the hub's disk has room.`);
  }

  private unavailable(message: string): HubError {
    return new HubError('ServiceUnavailable', message);
  }

  /** True when the log holds more than twice the live data (and is past the minimum worth compacting). */
  private bloated(): boolean {
    return this.logLines >= this.compactAfterLines && this.logLines > MIN_LINES_BEFORE_COMPACTION && this.logLines > 2 * this.liveCount();
  }

  private liveCount(): number {
    let n = 0;
    for (const c of this.collections.values()) n += c.size;
    return n;
  }

  /** Returns true when bad records were moved aside (the log must then be rewritten without them). */
  private replay(rejectedPath: string): boolean {
    if (!existsSync(this.path)) return false;
    const result = replayLog(this.path, { schemas: this.options.schemas ?? {}, repair: this.options.repair === true, rejectedPath, notify: this.notify });
    for (const line of result.lines) this.ensure(line.c).load(line.k, line.v);
    this.logLines = result.lineCount;
    this.size = result.size;
    return result.repaired;
  }

  /** Rewrites the log from memory (plus a last line not in memory yet); on failure the old log stays in use and a retry waits. */
  private compact(pending = ''): boolean {
    const ok = this.rewrite((write) => {
      for (const [name, c] of this.collections) for (const key of c.keys()) write(`${JSON.stringify({ c: name, k: key, v: c.get(key) })}\n`);
      write(pending);
    });
    if (!ok) this.compactAfterLines = this.logLines + COMPACTION_RETRY_LINES;
    return ok;
  }

  /**
   * Writes a fresh log next to the current one and swaps it in atomically. Only a complete, synced
   * file replaces the log; until then the current descriptor stays open and in use.
   */
  private rewrite(fill: (write: (text: string) => void) => void): boolean {
    const tmp = `${this.path}.tmp`;
    let fd: number | undefined;
    let lines = 0;
    let size = 0;
    try {
      fd = openSync(tmp, 'w');
      const out = fd;
      let chunk = '';
      fill((text) => {
        chunk += text;
        if (text) lines += 1;
        if (chunk.length > 1 << 20) {
          size += writeFully(out, chunk, size);
          chunk = '';
        }
      });
      if (chunk) size += writeFully(out, chunk, size);
      fsyncSync(out);
      renameSync(tmp, this.path);
    } catch (error) {
      if (fd !== undefined) closeQuietly(fd);
      removeQuietly(tmp);
      this.notify({ level: 'error', kind: 'compactionFailed', file: this.path, message: `could not rewrite the log, the old one stays in use and is retried later: ${errorText(error)}` });
      return false;
    }
    const old = this.fd;
    this.adopt(fd);
    this.size = size;
    this.dirty = false;
    this.logLines = lines;
    if (old !== undefined) closeQuietly(old);
    return true;
  }

  private adopt(fd: number): void {
    this.fd = fd;
    const { dev, ino } = fstatSync(fd);
    this.identity = { dev, ino };
    this.lost = undefined;
  }

  /** A log deleted or replaced under the hub would swallow writes: refuse them instead. */
  private checkLogIdentity(): void {
    if (this.fd === undefined || this.lost !== undefined) return;
    let onDisk: Stats | undefined;
    try {
      onDisk = statSync(this.path, { throwIfNoEntry: false });
    } catch {
      return; // the path cannot be looked at right now (EIO, EACCES): the next check tries again
    }
    if (onDisk && onDisk.dev === this.identity.dev && onDisk.ino === this.identity.ino) return;
    this.lost = "The hub's state log was deleted or replaced while the hub ran - restart the hub.";
    this.notify({ level: 'error', kind: 'logLost', file: this.path, message: `the log was ${onDisk ? 'replaced' : 'deleted'} while the hub ran, writes are refused until a restart` });
  }
}
