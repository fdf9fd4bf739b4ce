import { quote, syntaxError } from './errors.js';

/**
 * The tokenizer of the IoT Hub query language. Keywords are not special here: they come out as
 * `name` tokens and the parser decides, case-insensitively, what they mean.
 */

export type Token =
  | { readonly type: 'name'; readonly text: string; readonly upper: string; readonly pos: number }
  /** `[[...]]`: a property name that may be a reserved word or hold any character but `]]`. */
  | { readonly type: 'escaped'; readonly text: string; readonly pos: number; readonly end: number }
  | { readonly type: 'number'; readonly value: number; readonly raw: string; readonly pos: number }
  | { readonly type: 'string'; readonly value: string; readonly pos: number }
  | { readonly type: 'symbol'; readonly text: SymbolText; readonly pos: number }
  | { readonly type: 'end'; readonly pos: number };

export type SymbolText =
  | '(' | ')' | '[' | ']' | ',' | '.' | '*' | '+' | '-' | '/' | '%'
  | '=' | '!=' | '<>' | '<' | '>' | '<=' | '>=';

export interface TokenizeOptions {
  /** Loose mode also accepts the JSON escapes `\/ \b \f \n \r \t` in strings. */
  readonly loose?: boolean;
}

const NAME = /[\p{L}_$][\p{L}\p{N}_$]*/uy;
const DECIMAL = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const HEX = /0[xX][0-9a-fA-F]*/y;
const NAME_CHAR = /[\p{L}\p{N}_$]/u;
/** What an escaped name at the start of an expression may contain (else `[[` opens a nested array). */
const BARE_ESCAPED = /^[^\d\s'",[\]+\-.][^\s'",[\]]*$/u;

/**
 * SQL comment openers. None can start valid query text (`5 - -3` needs its space), so they are
 * refused by name rather than read as two minus signs or as `/` and `*`.
 */
const COMMENT_STARTS: readonly string[] = ['--', '/*', '//'];

const SYMBOLS: readonly SymbolText[] = ['!=', '<>', '<=', '>=', '(', ')', '[', ']', ',', '.', '*', '+', '-', '/', '%', '=', '<', '>'];

const STRICT_ESCAPES: Readonly<Record<string, string>> = { "'": "'", '"': '"', '\\': '\\' };
const LOOSE_ESCAPES: Readonly<Record<string, string>> = {
  ...STRICT_ESCAPES,
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

export function tokenize(text: string, options: TokenizeOptions = {}): Token[] {
  const tokens: Token[] = [];
  const escapes = options.loose === true ? LOOSE_ESCAPES : STRICT_ESCAPES;
  /** The brackets and parentheses open at this point, innermost last. */
  const open: Array<'(' | '['> = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (/\s/u.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (ch === "'" || ch === '"') {
      const { value, end } = readString(text, i, escapes);
      tokens.push({ type: 'string', value, pos: start });
      i = end;
      continue;
    }
    if (ch === '[' && text[i + 1] === '[') {
      const escaped = readEscapedName(text, i, tokens[tokens.length - 1], open[open.length - 1] === '[');
      if (escaped !== undefined) {
        tokens.push(escaped);
        i = escaped.end;
        continue;
      }
    }
    if (/\d/u.test(ch) || (ch === '.' && /\d/u.test(text[i + 1] ?? '') && !endsPath(tokens[tokens.length - 1]))) {
      const number = readNumber(text, i);
      tokens.push(number);
      i = start + number.raw.length;
      continue;
    }
    NAME.lastIndex = i;
    const name = NAME.exec(text);
    if (name !== null) {
      tokens.push({ type: 'name', text: name[0], upper: name[0].toUpperCase(), pos: start });
      i += name[0].length;
      continue;
    }
    const comment = COMMENT_STARTS.find((c) => text.startsWith(c, i));
    if (comment !== undefined) {
      throw syntaxError(i, `comments are not supported: ${quote(comment)} starts no comment in the IoT Hub query language`);
    }
    const symbol = SYMBOLS.find((s) => text.startsWith(s, i));
    if (symbol === undefined) {
      // Error texts cannot carry a semicolon (the Node SDK cuts the message at the second one).
      if (ch === ';') throw syntaxError(i, 'unexpected semicolon: a query is one statement, without a terminator');
      throw syntaxError(i, `unexpected character ${quote(ch)}`);
    }
    if (symbol === '(' || symbol === '[') open.push(symbol);
    else if ((symbol === ')' && open[open.length - 1] === '(') || (symbol === ']' && open[open.length - 1] === '[')) open.pop();
    tokens.push({ type: 'symbol', text: symbol, pos: start });
    i += symbol.length;
  }
  tokens.push({ type: 'end', pos: text.length });
  return tokens;
}

/** After a name, `]]` or `)`, a `.` continues a path (`tags.[[1]]`), it does not start a number. */
function endsPath(previous: Token | undefined): boolean {
  return previous?.type === 'name' || previous?.type === 'escaped' || (previous?.type === 'symbol' && previous.text === ')');
}

function readString(text: string, start: number, escapes: Readonly<Record<string, string>>): { value: string; end: number } {
  const quoteChar = text[start];
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === quoteChar) return { value, end: i + 1 };
    if (ch !== '\\') {
      value += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === undefined) break;
    if (next === 'u') {
      const hex = text.slice(i + 2, i + 6);
      if (!/^[0-9a-fA-F]{4}$/u.test(hex)) {
        throw syntaxError(i, `invalid escape sequence ${quote(text.slice(i, i + 6))}: \\u needs 4 hexadecimal digits`);
      }
      value += String.fromCharCode(parseInt(hex, 16));
      i += 6;
      continue;
    }
    const replacement = escapes[next];
    if (replacement === undefined) {
      throw syntaxError(i, `invalid escape sequence ${quote(`\\${next}`)} in string (allowed: \\' \\" \\\\ \\uXXXX)`);
    }
    value += replacement;
    i += 2;
  }
  throw syntaxError(start, 'unterminated string: no closing quote');
}

function readNumber(text: string, start: number): Token & { type: 'number' } {
  HEX.lastIndex = start;
  const hex = HEX.exec(text);
  let raw: string;
  let value: number;
  if (hex !== null) {
    raw = hex[0];
    if (raw.length === 2) throw syntaxError(start, `invalid hexadecimal number ${quote(raw)}: no digits after 0x`);
    value = Number(raw);
  } else {
    DECIMAL.lastIndex = start;
    raw = (DECIMAL.exec(text) as RegExpExecArray)[0];
    value = Number(raw);
  }
  const after = text[start + raw.length];
  if (after !== undefined && NAME_CHAR.test(after)) {
    throw syntaxError(start, `invalid number ${quote(text.slice(start, start + raw.length + 1))}`);
  }
  if (!Number.isFinite(value)) {
    throw syntaxError(start, `number ${quote(raw)} is out of range (it does not fit a 64-bit floating-point number)`);
  }
  return { type: 'number', value, raw, pos: start };
}

/**
 * `[[name]]` is an escaped property name. After a `.` it always is one. Where only an array
 * constant can follow - after IN or NIN, or inside an array constant - it never is one, so
 * `IN [[true]]` and `IN [1, [[null]]]` are nested arrays. Elsewhere at the start of an expression
 * it is one only when its content looks like a name (no quotes, commas, brackets, spaces, leading
 * digit or sign), so that `IN [[1, 2], [3]]` still reads as nested arrays.
 */
function readEscapedName(
  text: string,
  start: number,
  previous: Token | undefined,
  inArray: boolean,
): (Token & { type: 'escaped' }) | undefined {
  const afterDot = previous?.type === 'symbol' && previous.text === '.';
  const afterIn = previous?.type === 'name' && (previous.upper === 'IN' || previous.upper === 'NIN');
  if (!afterDot && (afterIn || inArray)) return undefined;
  const close = text.indexOf(']]', start + 2);
  if (close === -1) {
    if (afterDot) throw syntaxError(start, "unterminated escaped name: '[[' without ']]'");
    return undefined;
  }
  const content = text.slice(start + 2, close);
  if (!afterDot && !BARE_ESCAPED.test(content)) return undefined;
  if (content.length === 0) throw syntaxError(start, 'empty escaped name [[]]');
  return { type: 'escaped', text: content, pos: start, end: close + 2 };
}

/** How a token reads in an error message. */
export function describeToken(token: Token): string {
  switch (token.type) {
    case 'end':
      return 'end of query';
    case 'name':
      return quote(token.text);
    case 'escaped':
      return quote(`[[${token.text}]]`);
    case 'number':
      return quote(token.raw);
    case 'string':
      return `string ${quote(token.value)}`;
    case 'symbol':
      return quote(token.text);
  }
}
