import { syntaxError } from './errors.js';
import { describeToken, type SymbolText, type Token } from './tokenizer.js';

/** Words that cannot be property names unless escaped as `[[word]]` (loose mode allows them after a dot). */
export const RESERVED: ReadonlySet<string> = new Set([
  'SELECT', 'TOP', 'FROM', 'WHERE', 'GROUP', 'BY', 'ORDER', 'AS', 'AND', 'OR', 'NOT', 'IN', 'NIN',
  'TRUE', 'FALSE', 'NULL', 'UNDEFINED',
]);

/** SQL that people try and IoT Hub does not have: named in the error instead of "unexpected token". */
export const UNSUPPORTED_CLAUSES: ReadonlyMap<string, string> = new Map([
  ['JOIN', 'JOIN is not supported: an IoT Hub query reads one collection (devices, devices.modules or devices.jobs)'],
  ['HAVING', 'HAVING is not part of the IoT Hub query language'],
  ['LIMIT', 'LIMIT is not part of the IoT Hub query language - use SELECT TOP n'],
  ['OFFSET', 'OFFSET is not part of the IoT Hub query language - page with continuation tokens'],
  ['UNION', 'UNION is not part of the IoT Hub query language'],
  ['DISTINCT', 'DISTINCT is not part of the IoT Hub query language - use GROUP BY'],
]);

/** Walks the token list for the parsers: look at the next token, expect one, expect the end. */
export class TokenCursor {
  protected index = 0;

  constructor(protected readonly tokens: readonly Token[]) {}

  protected peek(): Token {
    return this.tokens[this.index] as Token;
  }

  protected isKeyword(upper: string): boolean {
    const token = this.peek();
    return token.type === 'name' && token.upper === upper;
  }

  protected isSymbol(text: SymbolText): boolean {
    const token = this.peek();
    return token.type === 'symbol' && token.text === text;
  }

  protected expectKeyword(upper: string, message: string): Token {
    const token = this.peek();
    if (token.type === 'name' && token.upper === upper) {
      this.index++;
      return token;
    }
    throw syntaxError(token.pos, `${message}, found ${describeToken(token)}`);
  }

  protected expectSymbol(text: SymbolText, purpose: string): void {
    const token = this.peek();
    if (token.type === 'symbol' && token.text === text) {
      this.index++;
      return;
    }
    throw syntaxError(token.pos, `expected '${text}' ${purpose}, found ${describeToken(token)}`);
  }

  protected expectEnd(hint?: string): void {
    const token = this.peek();
    if (token.type === 'end') return;
    if (token.type === 'name') {
      const unsupported = UNSUPPORTED_CLAUSES.get(token.upper);
      if (unsupported !== undefined) throw syntaxError(token.pos, unsupported);
    }
    throw syntaxError(token.pos, `unexpected token ${describeToken(token)}${hint !== undefined ? `: ${hint}` : ''}`);
  }
}
