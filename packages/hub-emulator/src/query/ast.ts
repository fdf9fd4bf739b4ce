/**
 * The syntax tree of the IoT Hub query language, as the parser hands it to validation and execution.
 * Every node carries `pos`, the 0-based offset of its first character in the query text.
 * Paths are already resolved: the collection prefix (`devices.`, `devices.modules.`, `devices.jobs.`)
 * is gone and system names are in their canonical case (`DeviceId` -> `deviceId`).
 */

export type Collection = 'devices' | 'devices.modules' | 'devices.jobs';

/** A constant's value. `undefined` is the language's `undefined` constant. */
export type Primitive = string | number | boolean | null;

export interface LiteralExpr {
  readonly kind: 'literal';
  readonly value: Primitive | undefined;
  readonly pos: number;
}

/** An array constant `[c, c, ...]`; its items are constants or nested array constants. */
export interface ArrayExpr {
  readonly kind: 'array';
  readonly items: readonly ConstantExpr[];
  readonly pos: number;
}

export type ConstantExpr = LiteralExpr | ArrayExpr;

export interface PathExpr {
  readonly kind: 'path';
  /** Resolved segments, e.g. `['properties', 'reported', 'telemetryConfig', 'status']`. */
  readonly segments: readonly string[];
  readonly pos: number;
}

export interface UnaryExpr {
  readonly kind: 'unary';
  readonly op: 'NOT' | '-' | '+';
  readonly operand: Expr;
  readonly pos: number;
}

export type ComparisonOperator = '=' | '!=' | '<' | '>' | '<=' | '>=';
export type ArithmeticOperator = '+' | '-' | '*' | '/' | '%';
export type LogicalOperator = 'AND' | 'OR';
export type BinaryOperator = ComparisonOperator | ArithmeticOperator | LogicalOperator;

export interface BinaryExpr {
  readonly kind: 'binary';
  /** `<>` is parsed as `!=`. */
  readonly op: BinaryOperator;
  readonly left: Expr;
  readonly right: Expr;
  readonly pos: number;
}

export interface InExpr {
  readonly kind: 'in';
  /** `NIN` (and, in loose mode, `NOT IN`). */
  readonly negated: boolean;
  readonly operand: Expr;
  readonly list: ArrayExpr;
  readonly pos: number;
}

export interface CallExpr {
  readonly kind: 'call';
  /** Canonical (upper-case) function name, e.g. `IS_DEFINED`; aliases are already resolved. */
  readonly name: string;
  readonly args: readonly Expr[];
  readonly pos: number;
}

export type AggregateName = 'COUNT' | 'SUM' | 'AVG' | 'MIN' | 'MAX';

export interface AggregateExpr {
  readonly kind: 'aggregate';
  readonly name: AggregateName;
  /** Absent for `COUNT()`. */
  readonly arg: Expr | undefined;
  readonly pos: number;
}

export type Expr = LiteralExpr | ArrayExpr | PathExpr | UnaryExpr | BinaryExpr | InExpr | CallExpr | AggregateExpr;

export interface Projection {
  readonly expr: Expr;
  /** The output key: the alias, else the last path segment, else `$1`, `$2`, ... */
  readonly name: string;
  readonly alias: string | undefined;
  readonly pos: number;
}

export interface OrderItem {
  readonly expr: Expr;
  readonly descending: boolean;
  readonly pos: number;
}

export interface QueryAst {
  readonly kind: 'query';
  readonly text: string;
  readonly top: number | undefined;
  /** `'*'` or the projection list. */
  readonly select: '*' | readonly Projection[];
  readonly from: Collection;
  readonly where: Expr | undefined;
  readonly groupBy: readonly PathExpr[];
  /** Loose mode only. */
  readonly orderBy: readonly OrderItem[];
  /** Offsets of the clause keywords, for messages about a whole clause. */
  readonly clauses: { readonly from: number; readonly groupBy?: number; readonly orderBy?: number };
}

/** A bare condition, as jobs' `queryCondition` and configurations' `targetCondition` carry it. */
export interface ConditionAst {
  readonly kind: 'condition';
  readonly text: string;
  readonly collection: Collection;
  /** `undefined` for `*` (every document). */
  readonly where: Expr | undefined;
}

export interface ParseOptions {
  /** Accept hubemu's documented extensions (ORDER BY, expression projections, ...). Default false. */
  readonly loose?: boolean;
}

export interface ConditionParseOptions extends ParseOptions {
  /** The collection the condition reads; decides which names and prefixes are valid. Default `devices`. */
  readonly collection?: Collection;
}
