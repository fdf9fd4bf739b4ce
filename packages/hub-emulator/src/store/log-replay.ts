import { appendFileSync, readFileSync, truncateSync } from 'node:fs';
import { z } from 'zod';
import { COLLECTION_NAMES, type CollectionName } from './collection.js';
import { StateCorruptError, type StoreNotice } from './store-notice.js';

/** One line of the log: a put (`v` present) or a delete (`v` absent) of key `k` in collection `c`. */
export const LogLineSchema = z.strictObject({ c: z.enum(COLLECTION_NAMES), k: z.string(), v: z.unknown().optional() });
export type LogLine = z.infer<typeof LogLineSchema>;

/** Schemas of stored values per collection; a collection without one accepts any JSON value. */
export type RecordSchemas = Partial<Record<CollectionName, z.ZodType>>;

export interface ReplayOptions {
  schemas: RecordSchemas;
  /** Move bad lines to `rejectedPath` instead of refusing to start. */
  repair: boolean;
  rejectedPath: string;
  notify: (notice: StoreNotice) => void;
}

export interface ReplayResult {
  /** Valid lines, in log order. */
  lines: LogLine[];
  /** Lines read, valid or not. */
  lineCount: number;
  /** Bytes of complete lines (the log's size once a torn tail is cut). */
  size: number;
  /** True when bad lines were moved aside: the log must be rewritten without them. */
  repaired: boolean;
}

/**
 * Reads and validates the log. A torn last line (killed mid-write, never acknowledged) is cut with a
 * warning; any other bad line throws StateCorruptError naming file, line and reason, unless `repair`
 * moves it aside to `rejectedPath`.
 */
export function replayLog(path: string, options: ReplayOptions): ReplayResult {
  const bytes = readFileSync(path);
  const size = bytes.lastIndexOf(0x0a) + 1;
  const text = bytes.toString('utf8', 0, size);
  const lines: LogLine[] = [];
  const rejected: string[] = [];
  let lineNo = 0;
  let start = 0;
  while (start < text.length) {
    const end = text.indexOf('\n', start);
    const raw = text.slice(start, end);
    start = end + 1;
    lineNo += 1;
    const checked = checkLine(raw, options.schemas);
    if (typeof checked !== 'string') {
      lines.push(checked);
      continue;
    }
    if (!options.repair) throw new StateCorruptError(path, lineNo, checked);
    rejected.push(`${JSON.stringify({ line: lineNo, reason: checked, raw })}\n`);
  }
  if (size < bytes.length) {
    truncateSync(path, size);
    options.notify({ level: 'warn', kind: 'tornLineCut', file: path, line: lineNo + 1, message: `cut a torn last line (${bytes.length - size} bytes, never acknowledged)` });
  }
  if (rejected.length > 0) {
    appendFileSync(options.rejectedPath, rejected.join(''));
    options.notify({ level: 'warn', kind: 'recordsMovedAside', file: path, message: `moved ${rejected.length} bad record(s) aside to ${options.rejectedPath}` });
  }
  return { lines, lineCount: lineNo, size, repaired: rejected.length > 0 };
}

/** The parsed line, or why it is bad. */
function checkLine(raw: string, schemas: RecordSchemas): LogLine | string {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return `not JSON (${error instanceof Error ? error.message : String(error)})`;
  }
  const line = LogLineSchema.safeParse(json);
  if (!line.success) return `not a log record (${describe(line.error)})`;
  const schema = schemas[line.data.c];
  if (line.data.v !== undefined && schema) {
    const value = schema.safeParse(line.data.v);
    if (!value.success) return `bad ${line.data.c} record '${line.data.k}' (${describe(value.error)})`;
  }
  return line.data;
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}
