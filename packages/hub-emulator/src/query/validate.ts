import type { AggregateExpr, ConditionAst, Expr, PathExpr, Projection, QueryAst } from './ast.js';
import { invalidQuery } from './errors.js';

/**
 * Semantic checks on a parsed query: the rules IoT Hub enforces beyond the grammar (what
 * devices.jobs allows, where aggregates may appear, what GROUP BY needs).
 */

export interface ValidateOptions {
  readonly loose: boolean;
}

export function validateQuery(ast: QueryAst, options: ValidateOptions): void {
  if (ast.where !== undefined) rejectAggregates(ast.where, 'WHERE');
  for (const item of ast.orderBy) rejectAggregates(item.expr, 'ORDER BY');
  if (ast.from === 'devices.jobs') validateJobsQuery(ast);
  if (ast.select === '*') {
    if (ast.groupBy.length > 0) {
      throw invalidQuery(ast.clauses.groupBy ?? 0, 'GROUP BY needs a projection list, not SELECT *');
    }
    return;
  }
  validateProjections(ast, ast.select, options);
}

export function validateCondition(ast: ConditionAst): void {
  if (ast.where !== undefined) rejectAggregates(ast.where, 'a condition');
}

function validateJobsQuery(ast: QueryAst): void {
  if (ast.select !== '*') {
    const first = ast.select[0] as Projection;
    throw invalidQuery(first.pos, 'devices.jobs queries support only SELECT * (no projections or aggregates)');
  }
  if (ast.groupBy.length > 0) {
    throw invalidQuery(ast.clauses.groupBy ?? 0, 'devices.jobs queries do not support GROUP BY');
  }
}

function validateProjections(ast: QueryAst, projections: readonly Projection[], options: ValidateOptions): void {
  const names = new Set<string>();
  for (const projection of projections) {
    if (names.has(projection.name)) {
      throw invalidQuery(projection.pos, `two projections are named '${projection.name}' - give one an alias with AS`);
    }
    names.add(projection.name);
  }

  let aggregates = 0;
  for (const { expr, pos } of projections) {
    if (expr.kind === 'aggregate') {
      aggregates++;
      if (expr.arg !== undefined) {
        rejectAggregates(expr.arg, `${expr.name}()`);
        if (!options.loose && expr.arg.kind !== 'path') {
          throw invalidQuery(
            expr.arg.pos,
            `${expr.name}() takes a property path in IoT Hub (hubemu accepts expressions with loose: true)`,
          );
        }
      }
      continue;
    }
    rejectAggregates(expr, 'an expression');
    if (!options.loose && expr.kind !== 'path') {
      throw invalidQuery(
        pos,
        'SELECT takes property paths and aggregates (hubemu accepts expressions with AS alias in loose mode)',
      );
    }
  }

  const grouped = ast.groupBy.length > 0;
  if (!grouped && aggregates === 0) return;

  if (ast.orderBy.length > 0) {
    throw invalidQuery(ast.clauses.orderBy ?? 0, 'ORDER BY cannot be combined with aggregates or GROUP BY');
  }
  if (grouped) {
    const at = ast.clauses.groupBy ?? 0;
    if (ast.from !== 'devices' && !options.loose) {
      throw invalidQuery(at, `GROUP BY is only supported on devices, not ${ast.from}`);
    }
    if (ast.groupBy.length > 1 && !options.loose) {
      throw invalidQuery(
        (ast.groupBy[1] as PathExpr).pos,
        'GROUP BY takes one property path in IoT Hub (hubemu accepts several with loose: true)',
      );
    }
  }
  for (const { expr, pos } of projections) {
    if (expr.kind === 'aggregate') continue;
    if (!grouped) {
      throw invalidQuery(pos, 'a query with aggregates can only select aggregates unless it has a GROUP BY');
    }
    if (expr.kind !== 'path' || !ast.groupBy.some((g) => samePath(g, expr))) {
      throw invalidQuery(pos, 'every selected property of a GROUP BY query must be one of the GROUP BY paths');
    }
  }
}

function rejectAggregates(expr: Expr, where: string): void {
  const found = findAggregate(expr);
  if (found !== undefined) {
    throw invalidQuery(found.pos, `${found.name}() is an aggregate - aggregates are only allowed as SELECT items, not in ${where}`);
  }
}

function findAggregate(expr: Expr): AggregateExpr | undefined {
  switch (expr.kind) {
    case 'aggregate':
      return expr;
    case 'unary':
      return findAggregate(expr.operand);
    case 'binary':
      return findAggregate(expr.left) ?? findAggregate(expr.right);
    case 'in':
      return findAggregate(expr.operand);
    case 'call':
      for (const arg of expr.args) {
        const found = findAggregate(arg);
        if (found !== undefined) return found;
      }
      return undefined;
    default:
      return undefined;
  }
}

export function samePath(a: PathExpr, b: PathExpr): boolean {
  return a.segments.length === b.segments.length && a.segments.every((s, i) => s === b.segments[i]);
}
