import type { ArrayExpr, BinaryExpr, ConditionAst, ConstantExpr, Expr, InExpr, Primitive, QueryAst } from './ast.js';
import { findFunction } from './functions.js';
import { makeGetter } from './path-getter.js';
import { and, arithmetic, isPrimitive, not, or, sqlCompare, sqlEquals, type Value } from './values.js';

/**
 * Compiles expressions into closures. Conditions compile twice over: `whenTrue` answers "is it
 * exactly true?" and `whenFalse` "is it exactly false?" (what NOT needs), so the common shapes
 * (`path = 'x'`, `path IN [...]`, `IS_DEFINED(path)`, AND/OR/NOT) run without building values.
 */
export type Evaluator = (doc: object) => Value;
export type Test = (doc: object) => boolean;

const ALWAYS: Test = () => true;
const NEVER: Test = () => false;

/** The predicate of a condition or query: true for the documents it selects. */
export function compileCondition(ast: ConditionAst | QueryAst): (doc: object) => boolean {
  return ast.where === undefined ? ALWAYS : whenTrue(ast.where);
}

export function compileValue(expr: Expr): Evaluator {
  switch (expr.kind) {
    case 'literal': {
      const value = expr.value;
      return () => value;
    }
    case 'array': {
      const value = constantValue(expr);
      return () => value;
    }
    case 'path':
      return makeGetter(expr.segments);
    case 'unary': {
      const operand = compileValue(expr.operand);
      if (expr.op === 'NOT') return (doc) => not(operand(doc));
      if (expr.op === '-') {
        return (doc) => {
          const v = operand(doc);
          return typeof v === 'number' ? -v : undefined;
        };
      }
      return (doc) => {
        const v = operand(doc);
        return typeof v === 'number' ? v : undefined;
      };
    }
    case 'binary':
      return binaryValue(expr);
    case 'in': {
      // NIN is the negation of IN: true where IN is false, false where IN is true, else undefined.
      const truth = expr.negated ? inFalse(expr) : inTest(expr);
      const falsity = expr.negated ? inTest(expr) : inFalse(expr);
      return (doc) => (truth(doc) ? true : falsity(doc) ? false : undefined);
    }
    case 'call': {
      const spec = findFunction(expr.name);
      if (spec === undefined) throw new Error(`unknown function ${expr.name}`); // the parser checked
      const args = expr.args.map(compileValue);
      if (args.length === 1) {
        const [only] = args as [Evaluator];
        return (doc) => spec.call([only(doc)]);
      }
      return (doc) => spec.call(args.map((arg) => arg(doc)));
    }
    case 'aggregate':
      throw new Error('aggregates are evaluated by the aggregation step'); // validation keeps them out
  }
}

function binaryValue(expr: BinaryExpr): Evaluator {
  const left = compileValue(expr.left);
  const right = compileValue(expr.right);
  switch (expr.op) {
    case 'AND':
      return (doc) => {
        const l = left(doc);
        return l === false ? false : and(l, right(doc));
      };
    case 'OR':
      return (doc) => {
        const l = left(doc);
        return l === true ? true : or(l, right(doc));
      };
    case '=':
      return (doc) => sqlEquals(left(doc), right(doc));
    case '!=':
      return (doc) => {
        const eq = sqlEquals(left(doc), right(doc));
        return eq === undefined ? undefined : !eq;
      };
    case '<':
    case '>':
    case '<=':
    case '>=': {
      const holds = ORDERING[expr.op];
      return (doc) => {
        const c = sqlCompare(left(doc), right(doc));
        return c === undefined ? undefined : holds(c);
      };
    }
    default: {
      const op = expr.op;
      return (doc) => arithmetic(op, left(doc), right(doc));
    }
  }
}

const ORDERING: Readonly<Record<'<' | '>' | '<=' | '>=', (c: number) => boolean>> = {
  '<': (c) => c < 0,
  '>': (c) => c > 0,
  '<=': (c) => c <= 0,
  '>=': (c) => c >= 0,
};

/** A test that holds when `expr` evaluates to exactly `true`. */
export function whenTrue(expr: Expr): Test {
  switch (expr.kind) {
    case 'literal':
      return expr.value === true ? ALWAYS : NEVER;
    case 'unary':
      if (expr.op === 'NOT') return whenFalse(expr.operand);
      break;
    case 'binary': {
      if (expr.op === 'AND') {
        const l = whenTrue(expr.left);
        const r = whenTrue(expr.right);
        return (doc) => l(doc) && r(doc);
      }
      if (expr.op === 'OR') {
        const l = whenTrue(expr.left);
        const r = whenTrue(expr.right);
        return (doc) => l(doc) || r(doc);
      }
      const fast = comparisonWithConstant(expr, true);
      if (fast !== undefined) return fast;
      break;
    }
    case 'in':
      return expr.negated ? inFalse(expr) : inTest(expr);
    case 'call':
      if (expr.name === 'IS_DEFINED' && expr.args[0]?.kind === 'path') {
        const get = makeGetter(expr.args[0].segments);
        return (doc) => get(doc) !== undefined;
      }
      break;
    case 'path': {
      const get = makeGetter(expr.segments);
      return (doc) => get(doc) === true;
    }
    default:
      break;
  }
  const value = compileValue(expr);
  return (doc) => value(doc) === true;
}

/** A test that holds when `expr` evaluates to exactly `false`. */
export function whenFalse(expr: Expr): Test {
  switch (expr.kind) {
    case 'literal':
      return expr.value === false ? ALWAYS : NEVER;
    case 'unary':
      if (expr.op === 'NOT') return whenTrue(expr.operand);
      break;
    case 'binary': {
      if (expr.op === 'AND') {
        const l = whenFalse(expr.left);
        const r = whenFalse(expr.right);
        return (doc) => l(doc) || r(doc);
      }
      if (expr.op === 'OR') {
        const l = whenFalse(expr.left);
        const r = whenFalse(expr.right);
        return (doc) => l(doc) && r(doc);
      }
      const fast = comparisonWithConstant(expr, false);
      if (fast !== undefined) return fast;
      break;
    }
    case 'in':
      return expr.negated ? inTest(expr) : inFalse(expr);
    case 'call':
      if (expr.name === 'IS_DEFINED' && expr.args[0]?.kind === 'path') {
        const get = makeGetter(expr.args[0].segments);
        return (doc) => get(doc) === undefined;
      }
      break;
    case 'path': {
      const get = makeGetter(expr.segments);
      return (doc) => get(doc) === false;
    }
    default:
      break;
  }
  const value = compileValue(expr);
  return (doc) => value(doc) === false;
}

/**
 * `path op constant` (either way round) with a primitive constant: a direct typed test.
 * `wanted` says whether the test is for the comparison being true or being false.
 */
function comparisonWithConstant(expr: BinaryExpr, wanted: boolean): Test | undefined {
  let op = expr.op;
  let pathSide = expr.left;
  let constSide = expr.right;
  if (expr.left.kind === 'literal' && expr.right.kind === 'path') {
    pathSide = expr.right;
    constSide = expr.left;
    op = MIRROR[op as keyof typeof MIRROR] ?? op;
  }
  if (pathSide.kind !== 'path' || constSide.kind !== 'literal') return undefined;
  const constant = constSide.value;
  const get = makeGetter(pathSide.segments);
  // Comparing with `undefined` is never true nor false.
  if (constant === undefined) return NEVER;
  const type = constant === null ? 'null' : typeof constant;
  const sameType =
    constant === null ? (v: unknown) => v === null : (v: unknown) => typeof v === type;
  switch (op) {
    case '=':
      return wanted
        ? (doc) => get(doc) === constant
        : (doc) => {
            const v = get(doc);
            return v !== constant && sameType(v);
          };
    case '!=':
      return wanted
        ? (doc) => {
            const v = get(doc);
            return v !== constant && sameType(v);
          }
        : (doc) => get(doc) === constant;
    case '<':
    case '>':
    case '<=':
    case '>=': {
      if (constant === null) {
        // null vs null: `<` and `>` are false, `<=` and `>=` true.
        const nullResult = op === '<=' || op === '>=';
        return nullResult === wanted ? (doc) => get(doc) === null : NEVER;
      }
      const c = constant as string | number | boolean;
      const test = orderingTest(op, c);
      return wanted
        ? (doc) => {
            const v = get(doc);
            return typeof v === type && test(v as string | number | boolean);
          }
        : (doc) => {
            const v = get(doc);
            return typeof v === type && !test(v as string | number | boolean);
          };
    }
    default:
      return undefined;
  }
}

const MIRROR = { '<': '>', '>': '<', '<=': '>=', '>=': '<=' } as const;

function orderingTest(op: '<' | '>' | '<=' | '>=', c: string | number | boolean): (v: string | number | boolean) => boolean {
  switch (op) {
    case '<':
      return (v) => v < c;
    case '>':
      return (v) => v > c;
    case '<=':
      return (v) => v <= c;
    case '>=':
      return (v) => v >= c;
  }
}

/**
 * `x IN [..]` is true when x equals an item (same-typed primitives). It is false when x is a
 * primitive and every item is a primitive of x's type that differs from it; otherwise
 * (x missing, mixed types, objects) it is undefined. NIN is its negation.
 */
function inTest(expr: InExpr): Test {
  const items = new Set(primitiveItems(expr.list));
  const value = compileValue(expr.operand);
  return (doc) => {
    const v = value(doc);
    return v !== undefined && items.has(v as Primitive);
  };
}

function inFalse(expr: InExpr): Test {
  const values = primitiveItems(expr.list);
  const items = new Set(values);
  const itemTypes = new Set(values.map((v) => (v === null ? 'null' : typeof v)));
  const allPrimitive = expr.list.items.every((item) => item.kind === 'literal' && item.value !== undefined);
  const value = compileValue(expr.operand);
  if (!allPrimitive || itemTypes.size > 1) return NEVER;
  const [onlyType] = itemTypes;
  return (doc) => {
    const v = value(doc);
    if (!isPrimitive(v)) return false;
    if (onlyType !== undefined && (v === null ? 'null' : typeof v) !== onlyType) return false;
    return !items.has(v);
  };
}

function primitiveItems(list: ArrayExpr): Primitive[] {
  const out: Primitive[] = [];
  for (const item of list.items) {
    if (item.kind === 'literal' && item.value !== undefined) out.push(item.value);
  }
  return out;
}

/** The JSON value of a constant expression (array constants become arrays). */
export function constantValue(expr: ConstantExpr): Value {
  return expr.kind === 'literal' ? expr.value : expr.items.map(constantValue);
}
