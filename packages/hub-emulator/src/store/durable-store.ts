import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Collection, CollectionName, Store } from './collection.js';
import { MemoryCollection } from './memory-store.js';

interface LogLine {
  c: CollectionName;
  k: string;
  v?: unknown;
}

export interface DurableStoreOptions {
  /** fsync after every write: survives power loss, not only a killed process. Default false. */
  fsync?: boolean;
}

const LOG_FILE = 'state.jsonl';

/** Collections whose writes are not worth an fsync each (with `fsync`): presence changes with every connect storm. */
const NO_FSYNC: ReadonlySet<CollectionName> = new Set(['presence']);

/** A small fleet writing fast would otherwise rewrite its whole state every few thousand writes. */
const MIN_LINES_BEFORE_COMPACTION = 20_000;

/**
 * A write-ahead log of JSON lines in `<dir>/state.jsonl`, replayed into memory at open (a torn last
 * line is cut) and compacted whenever it grows to twice the live data. Each write reaches the kernel
 * (`writeSync`) before `put` returns, so an acknowledged write survives `kill -9`; with `fsync` it
 * also survives power loss.
 */
export class DurableStore implements Store {
  private readonly collections = new Map<CollectionName, MemoryCollection<unknown>>();
  private fd: number;
  private logLines = 0;
  private readonly path: string;

  constructor(
    dir: string,
    private readonly options: DurableStoreOptions = {},
  ) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, LOG_FILE);
    this.replay();
    this.fd = this.bloated() ? this.compact() : openSync(this.path, 'a');
  }

  collection<T>(name: CollectionName): Collection<T> {
    return this.ensure(name) as unknown as Collection<T>;
  }

  clear(): void {
    for (const c of this.collections.values()) c.clear();
    closeSync(this.fd);
    this.fd = this.compact();
  }

  close(): void {
    if (this.options.fsync) fsyncSync(this.fd);
    closeSync(this.fd);
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

  private append(line: LogLine, fsync: boolean): void {
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
    if (fsync) fsyncSync(this.fd);
    this.logLines += 1;
    if (this.bloated()) {
      closeSync(this.fd);
      this.fd = this.compact();
    }
  }

  /** True when the log holds more than twice the live data (and is past the minimum worth compacting). */
  private bloated(): boolean {
    return this.logLines > MIN_LINES_BEFORE_COMPACTION && this.logLines > 2 * this.liveCount();
  }

  private liveCount(): number {
    let n = 0;
    for (const c of this.collections.values()) n += c.size;
    return n;
  }

  private replay(): void {
    if (!existsSync(this.path)) return;
    const bytes = readFileSync(this.path);
    // A torn last line (killed mid-write) was never acknowledged: cut it, so appends start on a fresh line.
    const complete = bytes.lastIndexOf(0x0a) + 1;
    if (complete < bytes.length) truncateSync(this.path, complete);
    const text = bytes.toString('utf8', 0, complete);
    let start = 0;
    while (start < text.length) {
      const end = text.indexOf('\n', start);
      const raw = text.slice(start, end);
      start = end + 1;
      this.logLines += 1;
      if (raw.trim() === '') continue;
      let line: LogLine;
      try {
        line = JSON.parse(raw) as LogLine;
      } catch {
        continue; // not expected (torn tails are cut above); a line that does not parse is skipped
      }
      this.ensure(line.c).load(line.k, line.v);
    }
  }

  /** Writes the live data to a fresh log and swaps it in atomically; returns the new append fd. */
  private compact(): number {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    let lines = 0;
    let chunk = '';
    for (const [name, c] of this.collections) {
      for (const key of c.keys()) {
        chunk += `${JSON.stringify({ c: name, k: key, v: c.get(key) })}\n`;
        lines += 1;
        if (chunk.length > 1 << 20) {
          writeSync(fd, chunk);
          chunk = '';
        }
      }
    }
    if (chunk) writeSync(fd, chunk);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.path);
    this.logLines = lines;
    return openSync(this.path, 'a');
  }
}
