import { describe, expect, it } from 'vitest';
import { hubErrorOf } from '../../../shared/src/hub-error.fixtures.js';
import { MAX_EXPRESSION_DEPTH } from './errors.js';
import { compileCondition } from './compile-expression.js';
import { parseCondition, parseQuery } from './parser.js';

const where = (condition: string): string => `SELECT * FROM devices WHERE ${condition}`;

/** Conditions nested `n` levels deep in each way the grammar nests, with where the refusal must point (1-based). */
const shapes: Record<string, (n: number) => { text: string; at: number }> = {
  parentheses: (n) => ({ text: `${'('.repeat(n)}deviceId = 'a'${')'.repeat(n)}`, at: MAX_EXPRESSION_DEPTH + 1 }),
  NOTs: (n) => ({ text: `${'NOT '.repeat(n)}deviceId = 'a'`, at: 4 * MAX_EXPRESSION_DEPTH + 1 }),
  'array constants': (n) => ({ text: `deviceId IN ${'['.repeat(n)}1${']'.repeat(n)}`, at: 13 + MAX_EXPRESSION_DEPTH }),
  'function calls': (n) => ({ text: `${'ABS('.repeat(n)}1${')'.repeat(n)} = 1`, at: 4 * MAX_EXPRESSION_DEPTH + 1 }),
};

describe('expressions nested beyond the depth bound', () => {
  for (const [shape, build] of Object.entries(shapes)) {
    for (const n of [1500, 5000]) {
      it(`refuses ${n} nested ${shape} with InvalidQuery (400) and a position, in queries and in conditions`, () => {
        const { text, at } = build(n);
        for (const error of [hubErrorOf(() => parseQuery(where(text))), hubErrorOf(() => parseCondition(text))]) {
          expect(error.errorCode).toBe('InvalidQuery');
          expect(error.status).toBe(400);
          expect(error.message).toMatch(/at position \d+: /);
        }
        if (text.length <= 8192) {
          // Within the length cap, the refusal names the depth and points at the level beyond the bound.
          const error = hubErrorOf(() => parseCondition(text));
          expect(error.message).toBe(`Invalid query at position ${at}: the expression nests deeper than ${MAX_EXPRESSION_DEPTH} levels - flatten it (lists of values go in IN [...])`);
          expect(error.info).toEqual({ position: at });
        }
      });
    }
  }

  it('refuses an operator chain whose tree is deeper than the bound, at the operator that goes beyond', () => {
    const text = `tags.x = 1${'+1'.repeat(3000)}`;
    const error = hubErrorOf(() => parseCondition(text));
    expect(error.errorCode).toBe('InvalidQuery');
    expect(error.message).toMatch(new RegExp(`^Invalid query at position \\d+: the expression nests deeper than ${MAX_EXPRESSION_DEPTH} levels`));
    expect(text[(error.info.position as number) - 1]).toBe('+');
  });

  it('accepts and evaluates an expression nested right up to the bound', () => {
    const parenthesised = parseCondition(`${'('.repeat(MAX_EXPRESSION_DEPTH)}tags.x = 1${')'.repeat(MAX_EXPRESSION_DEPTH)}`);
    expect(compileCondition(parenthesised)({ tags: { x: 1 } })).toBe(true);
    const depth = MAX_EXPRESSION_DEPTH - 2; // the comparison and its operands are the last two levels
    const negated = parseQuery(where(`${'NOT '.repeat(depth)}tags.x = 1`));
    expect(compileCondition(negated)({ tags: { x: 1 } })).toBe(depth % 2 === 0);
    const chain = parseCondition(Array.from({ length: 200 }, (_, i) => `deviceId = 'd${i}'`).join(' OR '));
    expect(compileCondition(chain)({ deviceId: 'd199' })).toBe(true);
  });
});
