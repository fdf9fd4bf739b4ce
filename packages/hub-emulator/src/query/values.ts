import type { Primitive } from './ast.js';

/**
 * Value semantics of the IoT Hub query language (it follows the DocumentDB SQL it grew from):
 * - `undefined` is a missing property; any operation on it yields `undefined`;
 * - comparisons are defined only between two primitives of the same type (null with null, string
 *   with string, ...); anything else (mixed types, objects, arrays) yields `undefined`;
 * - a condition holds only when it evaluates to Boolean `true`.
 */
export type Value = unknown;

export function isPrimitive(value: Value): value is Primitive {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** `a = b`: `true`/`false` between same-typed primitives, otherwise `undefined`. */
export function sqlEquals(a: Value, b: Value): boolean | undefined {
  if (!comparable(a, b)) return undefined;
  return a === b;
}

/** Three-way comparison between same-typed primitives (strings by UTF-16 code units); `undefined` otherwise. */
export function sqlCompare(a: Value, b: Value): number | undefined {
  if (!comparable(a, b)) return undefined;
  if (a === b) return 0;
  return (a as string | number | boolean) < (b as string | number | boolean) ? -1 : 1;
}

function comparable(a: Value, b: Value): boolean {
  if (a === null || b === null) return a === b;
  const type = typeof a;
  return type === typeof b && (type === 'string' || type === 'number' || type === 'boolean');
}

/** Arithmetic is defined on numbers only; non-finite results (division by zero) are `undefined`. */
export function arithmetic(op: '+' | '-' | '*' | '/' | '%', a: Value, b: Value): number | undefined {
  if (typeof a !== 'number' || typeof b !== 'number') return undefined;
  let result: number;
  switch (op) {
    case '+':
      result = a + b;
      break;
    case '-':
      result = a - b;
      break;
    case '*':
      result = a * b;
      break;
    case '/':
      result = a / b;
      break;
    case '%':
      result = a % b;
      break;
  }
  return Number.isFinite(result) ? result : undefined;
}

/** Three-valued AND: false wins, then undefined; non-Boolean operands count as undefined. */
export function and(a: Value, b: Value): boolean | undefined {
  if (a === false || b === false) return false;
  return a === true && b === true ? true : undefined;
}

/** Three-valued OR: true wins, then undefined. */
export function or(a: Value, b: Value): boolean | undefined {
  if (a === true || b === true) return true;
  return a === false && b === false ? false : undefined;
}

export function not(a: Value): boolean | undefined {
  return a === true ? false : a === false ? true : undefined;
}

/**
 * Rank of a value's type in hubemu's total order, used by ORDER BY (loose mode), MIN/MAX and the
 * order of GROUP BY rows: undefined < null < booleans < numbers < strings < arrays/objects.
 */
export function typeRank(value: Value): number {
  if (value === undefined) return 0;
  if (value === null) return 1;
  switch (typeof value) {
    case 'boolean':
      return 2;
    case 'number':
      return 3;
    case 'string':
      return 4;
    default:
      return 5;
  }
}

/** Total order over JSON values (see `typeRank`); objects and arrays compare by their JSON text. */
export function totalCompare(a: Value, b: Value): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (ra <= 1) return 0;
  if (ra === 5) {
    const ja = JSON.stringify(a);
    const jb = JSON.stringify(b);
    return ja < jb ? -1 : ja > jb ? 1 : 0;
  }
  const pa = a as string | number | boolean;
  const pb = b as string | number | boolean;
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}
