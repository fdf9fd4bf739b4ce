import type { z } from 'zod';
import { HubError } from './errors.js';

/** `"a.b: message"` for the first problem zod found. */
export function describeZodIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'malformed';
  const path = issue.path.map(String).join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}

/** Parses `value` with `schema` at an edge, or throws 400 ArgumentInvalid naming the first problem. */
export function parseWithSchema<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new HubError('ArgumentInvalid', `Invalid ${what}: ${describeZodIssue(parsed.error)}.`);
}

/** Like parseWithSchema for a body that must be there: absent (`undefined`) is 400 ArgumentNull. */
export function parseRequiredBody<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  if (value === undefined) throw new HubError('ArgumentNull', `The ${what} body is required.`);
  return parseWithSchema(schema, value, what);
}
