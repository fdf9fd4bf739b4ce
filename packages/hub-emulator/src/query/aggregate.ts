import alasql from 'alasql';
import { setOwn } from '@hubemu/shared';
import type { AggregateExpr, PathExpr, Projection } from './ast.js';
import { compileValue, type Evaluator } from './compile-expression.js';
import { makeGetter, type Getter } from './path-getter.js';
import { samePath } from './validate.js';
import { isPrimitive, totalCompare, type Value } from './values.js';

/**
 * GROUP BY and aggregates. hubemu filters and reads the twins itself (compiled closures), then hands
 * alasql flat rows `{ k, a0, a1, ... }` - `k` an exact, type-preserving encoding of the group key -
 * and lets alasql group and aggregate them. alasql's own SUM/MIN/MAX/AVG coerce types and its GROUP
 * BY merges `1` with `'1'`, so the aggregates are hubemu's, registered as alasql user aggregators,
 * and grouping is on `k`, never on raw values.
 */

export interface GroupRow {
  /** The group's values, one per GROUP BY path (empty without GROUP BY). */
  readonly tuple: readonly Value[];
  /** The output row, in projection order; undefined values left out. */
  readonly row: Record<string, unknown>;
}

export interface AggregationPlan {
  /** Groups and aggregates the matching documents; rows come back in the order of their tuples. */
  run(docs: readonly object[]): GroupRow[];
}

type Accumulator = { n: number; sum: number; best: Value };

function registerAggregators(): void {
  const aggr = alasql.aggr as Record<string, (value: unknown, acc: unknown, stage: number) => unknown>;
  if (aggr.HUBEMU_SUM !== undefined) return;
  /** SUM over the numbers of the group (others are skipped); 0 when there are none. */
  aggr.HUBEMU_SUM = (value, acc, stage) => {
    if (stage === 3) return acc === undefined ? 0 : (acc as Accumulator).sum;
    const state = stage === 1 ? { n: 0, sum: 0, best: undefined } : (acc as Accumulator);
    if (typeof value === 'number') state.sum += value;
    return state;
  };
  /** AVG over the numbers of the group; undefined (left out) when there are none. */
  aggr.HUBEMU_AVG = (value, acc, stage) => {
    if (stage === 3) {
      const state = acc as Accumulator | undefined;
      return state === undefined || state.n === 0 ? undefined : state.sum / state.n;
    }
    const state = stage === 1 ? { n: 0, sum: 0, best: undefined } : (acc as Accumulator);
    if (typeof value === 'number') {
      state.sum += value;
      state.n++;
    }
    return state;
  };
  const extreme = (sign: 1 | -1) => (value: unknown, acc: unknown, stage: number): unknown => {
    if (stage === 3) return acc === undefined ? undefined : (acc as Accumulator).best;
    const state = stage === 1 ? { n: 0, sum: 0, best: undefined } : (acc as Accumulator);
    if (isPrimitive(value) && (state.best === undefined || sign * totalCompare(value, state.best) < 0)) state.best = value;
    return state;
  };
  /** MIN/MAX over the primitive values of the group, in the order null < booleans < numbers < strings. */
  aggr.HUBEMU_MIN = extreme(1);
  aggr.HUBEMU_MAX = extreme(-1);
}

registerAggregators();

const SQL_AGGREGATE: Readonly<Record<AggregateExpr['name'], string>> = {
  COUNT: 'COUNT(*)',
  SUM: 'HUBEMU_SUM',
  AVG: 'HUBEMU_AVG',
  MIN: 'HUBEMU_MIN',
  MAX: 'HUBEMU_MAX',
};

export function compileAggregation(projections: readonly Projection[], groupBy: readonly PathExpr[]): AggregationPlan {
  const groupGetters: Getter[] = groupBy.map((g) => makeGetter(g.segments));
  const args: Evaluator[] = [];
  const columns: string[] = [];
  const output: Array<{ name: string; source: { group: number } | { column: string } }> = [];
  projections.forEach((projection, i) => {
    const { expr } = projection;
    if (expr.kind === 'aggregate') {
      const column = `r${i}`;
      if (expr.name === 'COUNT' || expr.arg === undefined) {
        columns.push(`COUNT(*) AS ${column}`);
      } else {
        columns.push(`${SQL_AGGREGATE[expr.name]}(a${args.length}) AS ${column}`);
        args.push(compileValue(expr.arg));
      }
      output.push({ name: projection.name, source: { column } });
    } else {
      const group = groupBy.findIndex((g) => expr.kind === 'path' && samePath(g, expr));
      output.push({ name: projection.name, source: { group } });
    }
  });

  const grouped = groupBy.length > 0;
  const sql = grouped
    ? `SELECT k${columns.map((c) => `, ${c}`).join('')} FROM ? GROUP BY k`
    : `SELECT ${columns.length > 0 ? columns.join(', ') : 'COUNT(*) AS n'} FROM ?`;
  const makeRow = rowBuilder(grouped ? groupKeyEncoder(groupGetters) : () => '', args);

  return {
    run(docs) {
      const rows = new Array<object>(docs.length);
      for (let i = 0; i < docs.length; i++) rows[i] = makeRow(docs[i] as object);
      const result = alasql(sql, [rows]) as Array<Record<string, unknown>>;
      const out: GroupRow[] = result.map((r) => {
        const tuple = grouped ? decodeGroupKey(r.k as string) : [];
        const row: Record<string, unknown> = {};
        for (const { name, source } of output) {
          const value = 'column' in source ? r[source.column] : tuple[source.group];
          if (value !== undefined) setOwn(row, name, value);
        }
        return { tuple, row };
      });
      out.sort((a, b) => {
        for (let i = 0; i < a.tuple.length; i++) {
          const c = totalCompare(a.tuple[i], b.tuple[i]);
          if (c !== 0) return c;
        }
        return 0;
      });
      return out;
    },
  };
}

/**
 * The flat row alasql reads: `{ k, a0, a1, ... }`. Rows of one query share one shape, built by an
 * object literal for the common arities (much cheaper than adding properties one by one).
 */
function rowBuilder(key: (doc: object) => string, args: readonly Evaluator[]): (doc: object) => object {
  const [a0, a1, a2] = args as [Evaluator, Evaluator, Evaluator];
  switch (args.length) {
    case 0:
      return (doc) => ({ k: key(doc) });
    case 1:
      return (doc) => ({ k: key(doc), a0: a0(doc) });
    case 2:
      return (doc) => ({ k: key(doc), a0: a0(doc), a1: a1(doc) });
    case 3:
      return (doc) => ({ k: key(doc), a0: a0(doc), a1: a1(doc), a2: a2(doc) });
    default:
      return (doc) => {
        const row: Record<string, unknown> = { k: key(doc) };
        for (let i = 0; i < args.length; i++) row[`a${i}`] = (args[i] as Evaluator)(doc);
        return row;
      };
  }
}

/**
 * An exact, decodable string for a group's values: `1`, `'1'`, `true`, `null` and a missing
 * property are all different groups.
 */
function groupKeyEncoder(getters: readonly Getter[]): (doc: object) => string {
  // Group columns hold few distinct values: encode each once. The Map is keyed by the value itself,
  // which keeps 1, '1' and true apart; objects and arrays are encoded every time.
  const interned = new Map<unknown, string>();
  const encode = (value: Value): string => {
    if (typeof value === 'object' && value !== null) return encodeValue(value);
    let key = interned.get(value);
    if (key === undefined) {
      key = encodeValue(value);
      if (interned.size < 10_000) interned.set(value, key);
    }
    return key;
  };
  if (getters.length === 1) {
    const [only] = getters as [Getter];
    return (doc) => encode(only(doc));
  }
  return (doc) => {
    let key = '';
    for (const get of getters) key += encode(get(doc));
    return key;
  };
}

function encodeValue(value: Value): string {
  switch (typeof value) {
    case 'string':
      return `s${value.length}:${value}`;
    case 'number':
      return `n${value};`;
    case 'boolean':
      return value ? 't' : 'f';
    case 'undefined':
      return 'u';
    default: {
      if (value === null) return 'z';
      const json = JSON.stringify(value);
      return `o${json.length}:${json}`;
    }
  }
}

function decodeGroupKey(key: string): Value[] {
  const out: Value[] = [];
  let i = 0;
  while (i < key.length) {
    const tag = key[i];
    if (tag === 't' || tag === 'f' || tag === 'u' || tag === 'z') {
      out.push(tag === 't' ? true : tag === 'f' ? false : tag === 'z' ? null : undefined);
      i++;
      continue;
    }
    if (tag === 'n') {
      const end = key.indexOf(';', i);
      out.push(Number(key.slice(i + 1, end)));
      i = end + 1;
      continue;
    }
    const colon = key.indexOf(':', i);
    const length = Number(key.slice(i + 1, colon));
    const text = key.slice(colon + 1, colon + 1 + length);
    out.push(tag === 's' ? text : (JSON.parse(text) as Value));
    i = colon + 1 + length;
  }
  return out;
}
