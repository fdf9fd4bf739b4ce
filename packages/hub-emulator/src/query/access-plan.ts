import type { Twin } from '@hubemu/shared';
import type { Collection, Expr, Primitive } from './ast.js';
import { lowerBound } from './sorted-table.js';
import type { Candidates } from './tag-index.js';
import type { TwinCollection } from './twin-collection.js';

/**
 * How a query finds its candidate documents: a full scan of the collection in key order, or keys
 * taken from the condition (`deviceId = 'x'`, `deviceId IN [...]`) or from a tag equality index
 * (`tags.location.region = 'US'`). Candidates are always a superset of the answer; the compiled
 * WHERE closure still decides each one.
 */
export type Access =
  | { readonly kind: 'scan' }
  | { readonly kind: 'ids'; readonly deviceIds: readonly string[] | undefined; readonly moduleIds: readonly string[] | undefined }
  | { readonly kind: 'tag'; readonly segments: readonly string[]; readonly values: readonly Primitive[] }
  | { readonly kind: 'union'; readonly parts: readonly Access[] }
  | { readonly kind: 'intersect'; readonly parts: readonly Access[] };

const SCAN: Access = { kind: 'scan' };

export function planAccess(where: Expr | undefined, collection: Collection): Access {
  if (where === undefined || collection === 'devices.jobs') return SCAN;
  return plan(where, collection);
}

function plan(expr: Expr, collection: Collection): Access {
  if (expr.kind === 'binary' && expr.op === 'AND') {
    const parts = [plan(expr.left, collection), plan(expr.right, collection)].flatMap((p) =>
      p.kind === 'intersect' ? p.parts : [p],
    );
    return combineAnd(parts);
  }
  if (expr.kind === 'binary' && expr.op === 'OR') {
    const left = plan(expr.left, collection);
    const right = plan(expr.right, collection);
    if (!usable(left) || !usable(right)) return SCAN;
    return { kind: 'union', parts: [left, right] };
  }
  if (expr.kind === 'binary' && expr.op === '=') {
    const [path, constant] =
      expr.left.kind === 'path' && expr.right.kind === 'literal'
        ? [expr.left, expr.right]
        : expr.right.kind === 'path' && expr.left.kind === 'literal'
          ? [expr.right, expr.left]
          : [undefined, undefined];
    if (path === undefined || constant === undefined) return SCAN;
    return equality(path.segments, [constant.value], collection);
  }
  if (expr.kind === 'in' && !expr.negated && expr.operand.kind === 'path') {
    const values = expr.list.items.map((item) => (item.kind === 'literal' ? item.value : undefined));
    return equality(expr.operand.segments, values, collection);
  }
  return SCAN;
}

function equality(segments: readonly string[], values: ReadonlyArray<Primitive | undefined>, collection: Collection): Access {
  const strings = values.filter((v): v is string => typeof v === 'string');
  if (segments.length === 1 && segments[0] === 'deviceId') {
    return { kind: 'ids', deviceIds: sortedUnique(strings), moduleIds: undefined };
  }
  if (segments.length === 1 && segments[0] === 'moduleId' && collection === 'devices.modules') {
    return { kind: 'ids', deviceIds: undefined, moduleIds: sortedUnique(strings) };
  }
  if (segments.length >= 2 && segments[0] === 'tags') {
    const primitives = values.filter((v): v is Primitive => v !== undefined);
    return { kind: 'tag', segments, values: primitives };
  }
  return SCAN;
}

/** AND: merge id constraints (they intersect), keep the other usable parts to choose from at run time. */
function combineAnd(parts: readonly Access[]): Access {
  let deviceIds: readonly string[] | undefined;
  let moduleIds: readonly string[] | undefined;
  let hasIds = false;
  const others: Access[] = [];
  for (const part of parts) {
    if (part.kind === 'ids') {
      hasIds = true;
      if (part.deviceIds !== undefined) deviceIds = deviceIds === undefined ? part.deviceIds : intersect(deviceIds, part.deviceIds);
      if (part.moduleIds !== undefined) moduleIds = moduleIds === undefined ? part.moduleIds : intersect(moduleIds, part.moduleIds);
    } else if (part.kind !== 'scan') {
      others.push(part);
    }
  }
  if (hasIds) others.unshift({ kind: 'ids', deviceIds, moduleIds });
  const useful = others.filter(usable);
  if (useful.length === 0) return SCAN;
  if (useful.length === 1) return useful[0] as Access;
  return { kind: 'intersect', parts: useful };
}

/** A module-id constraint alone does not narrow anything (module keys start with the device id). */
function usable(access: Access): boolean {
  if (access.kind === 'scan') return false;
  if (access.kind === 'ids') return access.deviceIds !== undefined;
  return true;
}

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

function intersect(a: readonly string[], b: readonly string[]): string[] {
  const set = new Set(b);
  return a.filter((v) => set.has(v));
}

/** Turns an access plan into candidates (keys in order, with their documents), or `undefined` for a scan. */
export function resolveCandidates(access: Access, collection: TwinCollection): Candidates | undefined {
  switch (access.kind) {
    case 'scan':
      return undefined;
    case 'ids':
      if (access.deviceIds === undefined) return undefined;
      return collection.name === 'devices'
        ? deviceCandidates(access.deviceIds, collection)
        : moduleCandidates(access.deviceIds, access.moduleIds, collection);
    case 'tag': {
      const index = collection.tagIndex(access.segments);
      if (index === undefined) return undefined;
      return mergeAll(access.values.map((value) => index.lookup(value)));
    }
    case 'union': {
      const parts: Candidates[] = [];
      for (const part of access.parts) {
        const resolved = resolveCandidates(part, collection);
        if (resolved === undefined) return undefined;
        parts.push(resolved);
      }
      return mergeAll(parts);
    }
    case 'intersect': {
      let best: Candidates | undefined;
      for (const part of access.parts) {
        const resolved = resolveCandidates(part, collection);
        if (resolved !== undefined && (best === undefined || resolved.keys.length < best.keys.length)) best = resolved;
      }
      return best;
    }
  }
}

function deviceCandidates(deviceIds: readonly string[], collection: TwinCollection): Candidates {
  const keys: string[] = [];
  const docs: Twin[] = [];
  for (const id of deviceIds) {
    const twin = collection.source.get(id);
    if (twin === undefined) continue;
    keys.push(id);
    docs.push(twin);
  }
  return { keys, docs };
}

function moduleCandidates(
  deviceIds: readonly string[],
  moduleIds: readonly string[] | undefined,
  collection: TwinCollection,
): Candidates {
  const snapshot = collection.snapshot();
  const wanted = moduleIds === undefined ? undefined : new Set(moduleIds);
  const keys: string[] = [];
  const docs: Twin[] = [];
  for (const id of deviceIds) {
    const end = lowerBound(snapshot.keys, `${id}\u0001`);
    for (let i = lowerBound(snapshot.keys, `${id}\u0000`); i < end; i++) {
      const twin = snapshot.docs[i] as Twin;
      if (wanted !== undefined && !wanted.has(twin.moduleId ?? '')) continue;
      keys.push(snapshot.keys[i] as string);
      docs.push(twin);
    }
  }
  return { keys, docs };
}

/** Merges candidate lists that are each in key order into one, without duplicates. */
function mergeAll(lists: readonly Candidates[]): Candidates {
  if (lists.length === 0) return { keys: [], docs: [] };
  let merged = lists[0] as Candidates;
  for (let i = 1; i < lists.length; i++) merged = merge(merged, lists[i] as Candidates);
  return merged;
}

function merge(a: Candidates, b: Candidates): Candidates {
  const keys: string[] = [];
  const docs: object[] = [];
  let i = 0;
  let j = 0;
  while (i < a.keys.length || j < b.keys.length) {
    const ka = a.keys[i];
    const kb = b.keys[j];
    if (kb === undefined || (ka !== undefined && ka < kb)) {
      keys.push(ka as string);
      docs.push(a.docs[i++] as object);
    } else if (ka === undefined || kb < ka) {
      keys.push(kb);
      docs.push(b.docs[j++] as object);
    } else {
      keys.push(ka);
      docs.push(a.docs[i++] as object);
      j++;
    }
  }
  return { keys, docs };
}
