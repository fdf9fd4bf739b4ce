import { HubError } from '@hubemu/shared';

/** IoT Hub caps query text at 8,192 characters. */
export const MAX_QUERY_LENGTH = 8192;

/**
 * How deep an expression may nest: parentheses, NOT, signs, function calls and array constants each
 * open a level, and so does every operator of a chain (`a OR b OR c` is two levels, as its tree is).
 * The parser, the validation and the compiled closures recurse once per level, so this bound is what
 * keeps them off the end of the stack; 256 is far beyond what a query written by hand needs, and a
 * chain of 256 ORs of `deviceId = '...'` terms is already near the length cap (use IN for lists).
 */
export const MAX_EXPRESSION_DEPTH = 256;

/** An expression that nests deeper than MAX_EXPRESSION_DEPTH, refused where the level beyond starts. */
export function nestsTooDeep(offset: number): HubError {
  return invalidQuery(offset, `the expression nests deeper than ${MAX_EXPRESSION_DEPTH} levels - flatten it (lists of values go in IN [...])`);
}

/**
 * A query the parser refuses because of its syntax. `offset` is 0-based; messages speak 1-based
 * positions ("position 1" is the first character), which is what people count in an editor.
 */
export function syntaxError(offset: number, detail: string): HubError {
  return new HubError('InvalidQuery', `Syntax error at position ${offset + 1}: ${detail}`, { position: offset + 1 });
}

/** A query that parses but that IoT Hub does not accept (unknown function, GROUP BY on modules, ...). */
export function invalidQuery(offset: number, detail: string): HubError {
  return new HubError('InvalidQuery', `Invalid query at position ${offset + 1}: ${detail}`, { position: offset + 1 });
}

/** A continuation token that this engine did not issue for this query. */
export function invalidContinuation(detail: string): HubError {
  return new HubError('ArgumentInvalid', `Invalid continuation token: ${detail}`);
}

/** Shows a token or a piece of query text in a message without flooding it. */
export function quote(text: string): string {
  const short = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  return `'${short}'`;
}
