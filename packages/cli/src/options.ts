import { InvalidArgumentError } from 'commander';
import { z } from 'zod';

/** A TCP port flag: an integer from 0 (pick a free one) to 65535. */
export function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError(`'${value}' is not a port (0-65535).`);
  return Number(value);
}

/** Parses an integer flag within bounds, for commander's argParser. */
export function integerFlag(name: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}.`);
    return Number(value);
  };
}

/** The number schema under an option's `.default()`, `.optional()`, `.nullish()` or `.prefault()`. */
function numberSchemaOf(schema: z.ZodType): z.ZodNumber {
  let inner: z.ZodType = schema;
  while (inner instanceof z.ZodDefault || inner instanceof z.ZodOptional || inner instanceof z.ZodNullable || inner instanceof z.ZodPrefault) inner = inner.unwrap() as z.ZodType;
  if (!(inner instanceof z.ZodNumber)) throw new TypeError('Not a number option.');
  return inner;
}

/** `an integer from 10 to 2147483647`, `an integer of at least 1`, `a number above 0`: what an option's schema accepts. */
export function rangeOf(schema: z.ZodType): string {
  const number = numberSchemaOf(schema);
  const kind = number.isInt ? 'an integer' : 'a number';
  const min = number.minValue ?? -Infinity;
  const max = number.maxValue ?? Infinity;
  const hasMin = Number.isFinite(min) && min > Number.MIN_SAFE_INTEGER;
  const hasMax = Number.isFinite(max) && max < Number.MAX_SAFE_INTEGER;
  const minIncluded = hasMin && number.safeParse(min).success;
  if (hasMin && hasMax && minIncluded) return `${kind} from ${min} to ${max}`;
  const parts = [hasMin ? (minIncluded ? `of at least ${min}` : `above ${min}`) : '', hasMax ? `at most ${max}` : ''].filter((p) => p !== '');
  return [kind, ...parts].join(' ');
}

/**
 * A number flag checked by the field's own schema (the hub's options, a method request...), so the CLI
 * repeats no range: `--configuration-interval must be an integer from 10 to 2147483647.`
 */
export function schemaFlag(name: string, schema: z.ZodType): (value: string) => number {
  const number = numberSchemaOf(schema);
  return (value: string) => {
    const parsed = /^-?\d+(\.\d+)?$/.test(value) ? number.safeParse(Number(value)) : undefined;
    if (!parsed?.success) throw new InvalidArgumentError(`${name} must be ${rangeOf(schema)}.`);
    return parsed.data;
  };
}
