import type { AggregateName, ArrayExpr, Collection, ConstantExpr, Expr, PathExpr } from './ast.js';
import { MAX_EXPRESSION_DEPTH, invalidQuery, nestsTooDeep, quote, syntaxError } from './errors.js';
import { AGGREGATE_NAMES, LOOSE_ONLY_FUNCTIONS, UNDERSCORE_ALIASES, findFunction } from './functions.js';
import { resolvePath, type WrittenSegment } from './system-names.js';
import { RESERVED, TokenCursor, UNSUPPORTED_CLAUSES } from './token-cursor.js';
import { describeToken, type SymbolText, type Token } from './tokenizer.js';

const COMPARISON_SYMBOLS: ReadonlyMap<SymbolText, '=' | '!=' | '<' | '>' | '<=' | '>='> = new Map([
  ['=', '='],
  ['!=', '!='],
  ['<>', '!='],
  ['<', '<'],
  ['>', '>'],
  ['<=', '<='],
  ['>=', '>='],
] as const);

/**
 * Recursive descent over expressions: OR, AND, NOT, comparisons and IN/NIN, + -, * / %, unary
 * signs, then constants, array constants, paths, function calls, aggregates and parentheses.
 * Paths are resolved against the collection as they are read.
 */
export class ExpressionParser extends TokenCursor {
  /** Levels opened and not yet closed: bounds the parser's own recursion (parentheses build no node). */
  private nesting = 0;
  /** The depth of every node built so far (leaves are 1): bounds the trees the walkers recurse over. */
  private readonly depths = new WeakMap<Expr, number>();

  constructor(
    tokens: readonly Token[],
    protected readonly collection: Collection,
    protected readonly loose: boolean,
  ) {
    super(tokens);
  }

  /** expression = or_expr (see README.md for the grammar). */
  expression(): Expr {
    return this.or();
  }

  /** Parses one level down, refusing it at `at` when it would nest deeper than MAX_EXPRESSION_DEPTH. */
  private nested<T>(at: number, parse: () => T): T {
    if (++this.nesting > MAX_EXPRESSION_DEPTH) throw nestsTooDeep(at);
    const result = parse();
    this.nesting--;
    return result;
  }

  /** Records a new node's depth, refusing it at `at` (its operator) when its tree is too deep. */
  private built<T extends Expr>(node: T, at: number): T {
    let below = 0;
    for (const child of childrenOf(node)) below = Math.max(below, this.depths.get(child) ?? 1);
    if (below + 1 > MAX_EXPRESSION_DEPTH) throw nestsTooDeep(at);
    this.depths.set(node, below + 1);
    return node;
  }

  private or(): Expr {
    let left = this.and();
    while (this.isKeyword('OR')) {
      const at = this.peek().pos;
      this.index++;
      left = this.built({ kind: 'binary', op: 'OR', left, right: this.and(), pos: left.pos }, at);
    }
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.isKeyword('AND')) {
      const at = this.peek().pos;
      this.index++;
      left = this.built({ kind: 'binary', op: 'AND', left, right: this.not(), pos: left.pos }, at);
    }
    return left;
  }

  private not(): Expr {
    if (this.isKeyword('NOT')) {
      const pos = this.peek().pos;
      this.index++;
      return this.built({ kind: 'unary', op: 'NOT', operand: this.nested(pos, () => this.not()), pos }, pos);
    }
    return this.comparison();
  }

  private comparison(): Expr {
    const left = this.additive();
    const token = this.peek();
    if (token.type === 'symbol') {
      const op = COMPARISON_SYMBOLS.get(token.text);
      if (op === undefined) return left;
      this.index++;
      const right = this.additive();
      const next = this.peek();
      if (next.type === 'symbol' && COMPARISON_SYMBOLS.has(next.text)) {
        throw syntaxError(next.pos, `unexpected ${describeToken(next)}: comparisons cannot be chained - combine them with AND`);
      }
      return this.built({ kind: 'binary', op, left, right, pos: left.pos }, token.pos);
    }
    if (token.type !== 'name') return left;
    if (token.upper === 'IN' || token.upper === 'NIN') {
      this.index++;
      return this.built({ kind: 'in', negated: token.upper === 'NIN', operand: left, list: this.inList(token.upper), pos: left.pos }, token.pos);
    }
    const next = this.tokens[this.index + 1];
    if (token.upper === 'NOT' && next?.type === 'name' && next.upper === 'IN') {
      if (!this.loose) throw syntaxError(token.pos, "unexpected 'NOT IN': IoT Hub writes it NIN, e.g. status NIN ['a', 'b']");
      this.index += 2;
      return this.built({ kind: 'in', negated: true, operand: left, list: this.inList('NOT IN'), pos: left.pos }, token.pos);
    }
    if (token.upper === 'IS') {
      throw syntaxError(token.pos, 'IS is not part of the IoT Hub query language - use IS_NULL(x) or IS_DEFINED(x)');
    }
    if (token.upper === 'LIKE' || token.upper === 'BETWEEN') {
      throw syntaxError(token.pos, `${token.upper} is not part of the IoT Hub query language`);
    }
    return left;
  }

  private inList(operator: string): ArrayExpr {
    const token = this.peek();
    if (token.type !== 'symbol' || token.text !== '[') {
      throw syntaxError(token.pos, `${operator} needs an array constant, e.g. ${operator} ['wired', 'wifi'], found ${describeToken(token)}`);
    }
    return this.arrayConstant();
  }

  private additive(): Expr {
    let left = this.multiplicative();
    for (;;) {
      const token = this.peek();
      if (token.type !== 'symbol' || (token.text !== '+' && token.text !== '-')) return left;
      this.index++;
      left = this.built({ kind: 'binary', op: token.text, left, right: this.multiplicative(), pos: left.pos }, token.pos);
    }
  }

  private multiplicative(): Expr {
    let left = this.unary();
    for (;;) {
      const token = this.peek();
      if (token.type !== 'symbol' || (token.text !== '*' && token.text !== '/' && token.text !== '%')) return left;
      this.index++;
      left = this.built({ kind: 'binary', op: token.text, left, right: this.unary(), pos: left.pos }, token.pos);
    }
  }

  /**
   * A sign before a number literal is part of the constant (`-10.5`). IoT Hub's grammar has no unary
   * operators, so a sign before anything else (`-tags.x`, `-(1)`, `- -1`) is loose mode only.
   */
  private unary(): Expr {
    const token = this.peek();
    if (token.type === 'symbol' && (token.text === '-' || token.text === '+')) {
      this.index++;
      const next = this.peek();
      if (next.type === 'number') {
        this.index++;
        return { kind: 'literal', value: token.text === '-' ? -next.value : next.value, pos: token.pos };
      }
      if (!this.loose) {
        throw syntaxError(
          token.pos,
          `a sign may only precede a number literal, found ${quote(token.text)} before ${describeToken(next)}: ${
            token.text === '-' ? 'write 0 - x to negate a value' : "drop the '+'"
          } (hubemu accepts signs before expressions with loose: true)`,
        );
      }
      const operand = this.nested(token.pos, () => this.unary());
      if (operand.kind === 'literal' && typeof operand.value === 'number') {
        return { kind: 'literal', value: token.text === '-' ? -operand.value : operand.value, pos: token.pos };
      }
      return this.built({ kind: 'unary', op: token.text, operand, pos: token.pos }, token.pos);
    }
    return this.primary();
  }

  private primary(): Expr {
    const token = this.peek();
    switch (token.type) {
      case 'number':
        this.index++;
        return { kind: 'literal', value: token.value, pos: token.pos };
      case 'string':
        this.index++;
        return { kind: 'literal', value: token.value, pos: token.pos };
      case 'escaped':
        return this.path();
      case 'end':
        throw syntaxError(token.pos, 'unexpected end of query, expected an expression');
      case 'symbol':
        if (token.text === '[') return this.arrayConstant();
        if (token.text === '(') {
          this.index++;
          const inner = this.nested(token.pos, () => this.expression());
          this.expectSymbol(')', 'to close the parenthesis');
          return inner;
        }
        throw syntaxError(token.pos, `unexpected ${describeToken(token)}, expected an expression`);
      case 'name': {
        const constant = constantOf(token.upper);
        if (constant !== NOT_A_CONSTANT) {
          this.index++;
          return { kind: 'literal', value: constant, pos: token.pos };
        }
        const next = this.tokens[this.index + 1];
        if (next?.type === 'symbol' && next.text === '(') return this.call();
        if (RESERVED.has(token.upper)) {
          throw syntaxError(token.pos, `unexpected keyword ${quote(token.text)}, expected an expression`);
        }
        const unsupported = UNSUPPORTED_CLAUSES.get(token.upper);
        if (unsupported !== undefined && token.upper !== 'DISTINCT') throw syntaxError(token.pos, unsupported);
        return this.path();
      }
    }
  }

  private path(): PathExpr {
    const first = this.peek() as Token & { type: 'name' | 'escaped' };
    const written: WrittenSegment[] = [{ text: first.text, escaped: first.type === 'escaped', pos: first.pos }];
    this.index++;
    while (this.isSymbol('.')) {
      this.index++;
      const token = this.peek();
      if (token.type === 'escaped') {
        written.push({ text: token.text, escaped: true, pos: token.pos });
      } else if (token.type === 'name') {
        if (RESERVED.has(token.upper) && !this.loose) {
          throw syntaxError(token.pos, `${quote(token.text)} is a reserved word - escape it as [[${token.text}]]`);
        }
        written.push({ text: token.text, escaped: false, pos: token.pos });
      } else if (token.type === 'number') {
        throw syntaxError(token.pos, `expected a property name after '.', found ${describeToken(token)} - escape it as [[${token.raw}]]`);
      } else {
        throw syntaxError(token.pos, `expected a property name after '.', found ${describeToken(token)}`);
      }
      this.index++;
    }
    if (this.isSymbol('[')) {
      throw syntaxError(this.peek().pos, "array indexing is not part of the IoT Hub query language");
    }
    return { kind: 'path', segments: resolvePath(written, this.collection), pos: first.pos };
  }

  private call(): Expr {
    const nameToken = this.peek() as Token & { type: 'name' };
    this.index += 2; // name and '('
    const args: Expr[] = [];
    if (!this.isSymbol(')')) {
      for (;;) {
        const token = this.peek();
        if (token.type === 'symbol' && token.text === '*' && nameToken.upper === 'COUNT') {
          throw invalidQuery(token.pos, 'COUNT takes no argument: write COUNT()');
        }
        args.push(this.nested(nameToken.pos, () => this.expression()));
        if (!this.isSymbol(',')) break;
        this.index++;
      }
    }
    this.expectSymbol(')', `to close ${nameToken.text}(`);
    const pos = nameToken.pos;
    if (AGGREGATE_NAMES.has(nameToken.upper)) {
      const name = nameToken.upper as AggregateName;
      if (name === 'COUNT') {
        if (args.length > 0) throw invalidQuery(pos, 'COUNT takes no argument: write COUNT()');
        return { kind: 'aggregate', name, arg: undefined, pos };
      }
      if (args.length !== 1) throw invalidQuery(pos, `${name} takes exactly one argument`);
      return this.built({ kind: 'aggregate', name, arg: args[0], pos }, pos);
    }
    let upper = nameToken.upper;
    const looseOnly = LOOSE_ONLY_FUNCTIONS.get(upper);
    if (looseOnly !== undefined && !this.loose) {
      throw invalidQuery(pos, `${nameToken.text} ${looseOnly} (hubemu accepts it with loose: true)`);
    }
    const alias = UNDERSCORE_ALIASES.get(upper);
    if (alias !== undefined) {
      if (!this.loose) {
        throw invalidQuery(
          pos,
          `${nameToken.text} is not a twin query function (the service answers "The query is invalid") - use ${alias}`,
        );
      }
      upper = alias;
    }
    const spec = findFunction(upper);
    if (spec === undefined) {
      throw invalidQuery(pos, `unknown function ${quote(nameToken.text)}`);
    }
    if (args.length < spec.minArgs || args.length > spec.maxArgs) {
      const expected =
        spec.minArgs === spec.maxArgs
          ? `${spec.minArgs}`
          : spec.maxArgs === Number.POSITIVE_INFINITY
            ? `at least ${spec.minArgs}`
            : `${spec.minArgs} to ${spec.maxArgs}`;
      throw invalidQuery(pos, `${spec.name} takes ${expected} argument${expected === '1' ? '' : 's'}, got ${args.length}`);
    }
    return this.built({ kind: 'call', name: spec.name, args, pos }, pos);
  }

  private arrayConstant(): ArrayExpr {
    const open = this.peek();
    this.index++;
    const items: ConstantExpr[] = [];
    if (!this.isSymbol(']')) {
      for (;;) {
        items.push(this.nested(open.pos, () => this.constant()));
        if (!this.isSymbol(',')) break;
        this.index++;
      }
    }
    this.expectSymbol(']', 'to close the array constant');
    return this.built({ kind: 'array', items, pos: open.pos }, open.pos);
  }

  private constant(): ConstantExpr {
    const token = this.peek();
    if (token.type === 'symbol' && token.text === '[') return this.arrayConstant();
    const expr = this.unary();
    if (expr.kind === 'literal') return expr;
    throw syntaxError(token.pos, 'array constants may only hold constants (strings, numbers, true, false, null, arrays)');
  }
}

/** The nodes an expression node holds directly. */
function childrenOf(node: Expr): readonly Expr[] {
  switch (node.kind) {
    case 'binary':
      return [node.left, node.right];
    case 'unary':
      return [node.operand];
    case 'in':
      return [node.operand, node.list];
    case 'call':
      return node.args;
    case 'aggregate':
      return node.arg === undefined ? [] : [node.arg];
    case 'array':
      return node.items;
    default:
      return [];
  }
}

const NOT_A_CONSTANT = Symbol('not a constant');

function constantOf(upper: string): boolean | null | undefined | typeof NOT_A_CONSTANT {
  switch (upper) {
    case 'TRUE':
      return true;
    case 'FALSE':
      return false;
    case 'NULL':
      return null;
    case 'UNDEFINED':
      return undefined;
    default:
      return NOT_A_CONSTANT;
  }
}
