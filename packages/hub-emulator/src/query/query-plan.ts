import type { QueryAst } from './ast.js';
import { planAccess, type Access } from './access-plan.js';
import { compileAggregation, type AggregationPlan } from './aggregate.js';
import { compileCondition, compileValue, type Evaluator, type Test } from './compile-expression.js';
import { queryFingerprint } from './continuation.js';
import { compileProjection, selectStar, type Projector } from './projection.js';

export type QueryItemType = 'twin' | 'deviceJob' | 'jobResponse' | 'raw';

/** How the rows of a query are produced and paged. */
export type QueryShape =
  /** One item per matching document, in key order; pages resume after the last key. */
  | { readonly kind: 'stream'; readonly project: Projector }
  /** Loose-mode ORDER BY: all matches sorted by their keys' tuple, then document key. */
  | { readonly kind: 'ordered'; readonly project: Projector; readonly keys: readonly Evaluator[]; readonly descending: readonly boolean[] }
  /** GROUP BY / aggregates: one row per group, in the order of the group values. */
  | { readonly kind: 'aggregate'; readonly aggregation: AggregationPlan };

/** A parsed, validated and compiled query, cached by its text. */
export interface QueryPlan {
  readonly ast: QueryAst;
  readonly fingerprint: string;
  readonly itemType: QueryItemType;
  readonly test: Test;
  readonly access: Access;
  readonly shape: QueryShape;
}

export function planQuery(ast: QueryAst): QueryPlan {
  const aggregated =
    ast.groupBy.length > 0 || (ast.select !== '*' && ast.select.some((p) => p.expr.kind === 'aggregate'));
  const itemType: QueryItemType = ast.from === 'devices.jobs' ? 'deviceJob' : ast.select === '*' ? 'twin' : 'raw';
  let shape: QueryShape;
  if (aggregated && ast.select !== '*') {
    shape = { kind: 'aggregate', aggregation: compileAggregation(ast.select, ast.groupBy) };
  } else {
    const project = ast.select === '*' ? selectStar(ast.from) : compileProjection(ast.select);
    shape =
      ast.orderBy.length > 0
        ? {
            kind: 'ordered',
            project,
            keys: ast.orderBy.map((o) => compileValue(o.expr)),
            descending: ast.orderBy.map((o) => o.descending),
          }
        : { kind: 'stream', project };
  }
  return {
    ast,
    fingerprint: queryFingerprint(ast.text),
    itemType,
    test: compileCondition(ast),
    access: planAccess(ast.where, ast.from),
    shape,
  };
}
