import { isPrimitive, type Value } from './values.js';

/**
 * Built-in functions. IoT Hub documents IS_DEFINED for twin queries, STARTSWITH/ENDSWITH are
 * observed to work there, and the rest are the routing-query functions, unverified in twin queries;
 * strict mode accepts them all but CONTAINS (see LOOSE_ONLY_FUNCTIONS). Names match without regard
 * to case. Every function returns `undefined` on arguments of the wrong type, like the service.
 */
export interface FunctionSpec {
  readonly name: string;
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly call: (args: readonly Value[]) => Value;
  /** True when the result is always a Boolean (lets conditions skip a check). */
  readonly boolean?: boolean;
}

const num = (f: (x: number) => number) => (args: readonly Value[]): Value => {
  const x = args[0];
  if (typeof x !== 'number') return undefined;
  const result = f(x);
  return Number.isFinite(result) ? result : undefined;
};

const str = (f: (s: string) => Value) => (args: readonly Value[]): Value =>
  typeof args[0] === 'string' ? f(args[0]) : undefined;

const strPair = (f: (a: string, b: string) => Value) => (args: readonly Value[]): Value =>
  typeof args[0] === 'string' && typeof args[1] === 'string' ? f(args[0], args[1]) : undefined;

const is = (test: (x: Value) => boolean) => (args: readonly Value[]): Value => test(args[0]);

const list: readonly FunctionSpec[] = [
  { name: 'IS_DEFINED', minArgs: 1, maxArgs: 1, boolean: true, call: is((x) => x !== undefined) },
  { name: 'IS_NULL', minArgs: 1, maxArgs: 1, boolean: true, call: is((x) => x === null) },
  { name: 'IS_BOOL', minArgs: 1, maxArgs: 1, boolean: true, call: is((x) => typeof x === 'boolean') },
  { name: 'IS_NUMBER', minArgs: 1, maxArgs: 1, boolean: true, call: is((x) => typeof x === 'number') },
  { name: 'IS_STRING', minArgs: 1, maxArgs: 1, boolean: true, call: is((x) => typeof x === 'string') },
  {
    name: 'IS_OBJECT',
    minArgs: 1,
    maxArgs: 1,
    boolean: true,
    call: is((x) => typeof x === 'object' && x !== null && !Array.isArray(x)),
  },
  { name: 'IS_ARRAY', minArgs: 1, maxArgs: 1, boolean: true, call: is((x) => Array.isArray(x)) },
  { name: 'IS_PRIMITIVE', minArgs: 1, maxArgs: 1, boolean: true, call: is(isPrimitive) },
  { name: 'STARTSWITH', minArgs: 2, maxArgs: 2, call: strPair((a, b) => a.startsWith(b)) },
  { name: 'ENDSWITH', minArgs: 2, maxArgs: 2, call: strPair((a, b) => a.endsWith(b)) },
  { name: 'CONTAINS', minArgs: 2, maxArgs: 2, call: strPair((a, b) => a.includes(b)) },
  { name: 'INDEX_OF', minArgs: 2, maxArgs: 2, call: strPair((a, b) => a.indexOf(b)) },
  { name: 'ABS', minArgs: 1, maxArgs: 1, call: num(Math.abs) },
  { name: 'EXP', minArgs: 1, maxArgs: 1, call: num(Math.exp) },
  { name: 'SQUARE', minArgs: 1, maxArgs: 1, call: num((x) => x * x) },
  { name: 'CEILING', minArgs: 1, maxArgs: 1, call: num(Math.ceil) },
  { name: 'FLOOR', minArgs: 1, maxArgs: 1, call: num(Math.floor) },
  { name: 'SIGN', minArgs: 1, maxArgs: 1, call: num(Math.sign) },
  { name: 'SQRT', minArgs: 1, maxArgs: 1, call: num(Math.sqrt) },
  {
    name: 'POWER',
    minArgs: 2,
    maxArgs: 2,
    call: ([x, y]) => {
      if (typeof x !== 'number' || typeof y !== 'number') return undefined;
      const result = x ** y;
      return Number.isFinite(result) ? result : undefined;
    },
  },
  {
    name: 'AS_NUMBER',
    minArgs: 1,
    maxArgs: 1,
    call: ([x]) => {
      if (typeof x === 'number') return x;
      if (typeof x !== 'string' || x.trim() === '') return undefined;
      const n = Number(x);
      return Number.isFinite(n) ? n : undefined;
    },
  },
  {
    name: 'CONCAT',
    minArgs: 2,
    maxArgs: Number.POSITIVE_INFINITY,
    call: (args) => (args.every((a) => typeof a === 'string') ? args.join('') : undefined),
  },
  { name: 'LENGTH', minArgs: 1, maxArgs: 1, call: str((s) => s.length) },
  { name: 'LOWER', minArgs: 1, maxArgs: 1, call: str((s) => s.toLowerCase()) },
  { name: 'UPPER', minArgs: 1, maxArgs: 1, call: str((s) => s.toUpperCase()) },
  {
    name: 'SUBSTRING',
    minArgs: 2,
    maxArgs: 3,
    call: ([s, start, length]) => {
      if (typeof s !== 'string' || typeof start !== 'number') return undefined;
      if (length !== undefined && typeof length !== 'number') return undefined;
      const from = Math.max(0, Math.trunc(start));
      return length === undefined ? s.slice(from) : s.slice(from, from + Math.max(0, Math.trunc(length)));
    },
  },
];

const byName: ReadonlyMap<string, FunctionSpec> = new Map(list.map((f) => [f.name, f]));

/**
 * Spellings that the routing docs use but twin queries refuse ("The query is invalid" for
 * `STARTS_WITH(deviceId, 'test')`). Strict mode refuses them too; loose mode reads them as aliases.
 */
export const UNDERSCORE_ALIASES: ReadonlyMap<string, string> = new Map([
  ['STARTS_WITH', 'STARTSWITH'],
  ['ENDS_WITH', 'ENDSWITH'],
]);

/**
 * Functions that strict mode refuses because they were reported not to work in twin queries (the
 * reason completes "<NAME> ..." in the error message); loose mode accepts them.
 */
export const LOOSE_ONLY_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  ['CONTAINS', 'was reported not to work in IoT Hub twin queries - use STARTSWITH or ENDSWITH where they fit'],
]);

export const AGGREGATE_NAMES: ReadonlySet<string> = new Set(['COUNT', 'SUM', 'AVG', 'MIN', 'MAX']);

export function findFunction(upperName: string): FunctionSpec | undefined {
  return byName.get(upperName);
}

export function functionNames(): string[] {
  return [...byName.keys()];
}
