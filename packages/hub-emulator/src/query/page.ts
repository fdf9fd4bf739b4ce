import type { Test } from './compile-expression.js';
import { invalidContinuation } from './errors.js';
import type { GroupRow } from './aggregate.js';
import type { Projector } from './projection.js';
import { upperBound } from './sorted-table.js';
import type { Candidates } from './tag-index.js';
import { compareTuples, decodeTuple, encodeTuple } from './tuple-key.js';
import type { Value } from './values.js';

/** One page of rows, the marker of its last row, and whether any row follows it. */
export interface PageResult {
  readonly items: unknown[];
  readonly last: string | undefined;
  readonly more: boolean;
}

/**
 * Walks candidates in key order from just after `after`, keeps the documents that pass `test`,
 * stops at `limit` (plus one look-ahead match to know whether another page exists).
 */
export function streamPage(
  candidates: Candidates,
  test: Test | undefined,
  project: Projector,
  after: string | undefined,
  limit: number,
): PageResult {
  const { keys, docs } = candidates;
  const items: unknown[] = [];
  let last: string | undefined;
  for (let i = after === undefined ? 0 : upperBound(keys, after); i < keys.length; i++) {
    const doc = docs[i] as object;
    if (test !== undefined && !test(doc)) continue;
    if (items.length === limit) return { items, last, more: true };
    items.push(project(doc));
    last = keys[i];
  }
  return { items, last, more: false };
}

/** Every matching document of the candidates, in key order (the candidates themselves when there is no test). */
export function collectMatches(candidates: Candidates, test: Test | undefined): Candidates {
  if (test === undefined) return candidates;
  const keys: string[] = [];
  const docs: object[] = [];
  for (let i = 0; i < candidates.keys.length; i++) {
    const doc = candidates.docs[i] as object;
    if (test !== undefined && !test(doc)) continue;
    keys.push(candidates.keys[i] as string);
    docs.push(doc);
  }
  return { keys, docs };
}

/** A page of GROUP BY rows; the marker is the last group's encoded values. */
export function groupPage(rows: readonly GroupRow[], after: string | undefined, limit: number): PageResult {
  let start = 0;
  if (after !== undefined) {
    const marker = decodeTuple(after);
    if (marker === undefined) throw invalidContinuation('its content is not understood');
    while (start < rows.length && compareTuples((rows[start] as GroupRow).tuple, marker) <= 0) start++;
  }
  const slice = rows.slice(start, start + limit);
  const lastRow = slice[slice.length - 1];
  return {
    items: slice.map((r) => r.row),
    last: lastRow === undefined ? undefined : encodeTuple(lastRow.tuple),
    more: start + limit < rows.length,
  };
}

/** A page of ORDER BY rows; the marker is the last row's sort values and document key. */
export function orderedPage(
  matches: Candidates,
  sortKeys: ReadonlyArray<(doc: object) => Value>,
  descending: readonly boolean[],
  project: Projector,
  after: string | undefined,
  limit: number,
): PageResult {
  const rows = matches.docs.map((doc, i) => ({ doc, key: matches.keys[i] as string, tuple: sortKeys.map((k) => k(doc)) }));
  const compare = (a: { tuple: readonly Value[]; key: string }, b: { tuple: readonly Value[]; key: string }): number =>
    compareTuples(a.tuple, b.tuple, descending) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  rows.sort(compare);
  let start = 0;
  if (after !== undefined) {
    const newline = after.indexOf('\n');
    const tuple = newline === -1 ? undefined : decodeTuple(after.slice(0, newline));
    if (tuple === undefined) throw invalidContinuation('its content is not understood');
    const marker = { tuple, key: after.slice(newline + 1) };
    while (start < rows.length && compare(rows[start] as (typeof rows)[number], marker) <= 0) start++;
  }
  const slice = rows.slice(start, start + limit);
  const lastRow = slice[slice.length - 1];
  return {
    items: slice.map((r) => project(r.doc)),
    last: lastRow === undefined ? undefined : `${encodeTuple(lastRow.tuple)}\n${lastRow.key}`,
    more: start + limit < rows.length,
  };
}
