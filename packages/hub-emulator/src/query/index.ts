/** The IoT Hub query language: parser, validation, compiled conditions and the paging query engine. */
export type {
  AggregateExpr,
  AggregateName,
  ArrayExpr,
  BinaryExpr,
  BinaryOperator,
  CallExpr,
  Collection,
  ConditionAst,
  ConditionParseOptions,
  ConstantExpr,
  Expr,
  InExpr,
  LiteralExpr,
  OrderItem,
  ParseOptions,
  PathExpr,
  Primitive,
  Projection,
  QueryAst,
  UnaryExpr,
} from './ast.js';
export { parseQuery, parseCondition } from './parser.js';
export { compileCondition } from './compile-expression.js';
export {
  QueryEngine,
  QueryEngineOptionsSchema,
  MAX_PAGE_SIZE,
  type QueryEngineOptions,
  type QueryPage,
  type QueryPageRequest,
} from './query-engine.js';
export type { QueryItemType } from './query-plan.js';
export type { QuerySources, TwinSource } from './sources.js';
export { MAX_QUERY_LENGTH } from './errors.js';
