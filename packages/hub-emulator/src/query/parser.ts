import type {
  AggregateName,
  ArrayExpr,
  Collection,
  ConditionAst,
  ConditionParseOptions,
  ConstantExpr,
  Expr,
  OrderItem,
  ParseOptions,
  PathExpr,
  Projection,
  QueryAst,
} from './ast.js';
import { MAX_QUERY_LENGTH, invalidQuery, quote, syntaxError } from './errors.js';
import { AGGREGATE_NAMES, UNDERSCORE_ALIASES, findFunction } from './functions.js';
import { resolvePath, type WrittenSegment } from './system-names.js';
import { describeToken, tokenize, type SymbolText, type Token } from './tokenizer.js';
import { validateCondition, validateQuery } from './validate.js';

/**
 * Recursive-descent parser of the IoT Hub query language (grammar in README.md). It resolves
 * names against the collection as it goes, so it finds the FROM clause first.
 */

/** Words that cannot be property names unless escaped as `[[word]]` (loose mode allows them after a dot). */
const RESERVED: ReadonlySet<string> = new Set([
  'SELECT', 'TOP', 'FROM', 'WHERE', 'GROUP', 'BY', 'ORDER', 'AS', 'AND', 'OR', 'NOT', 'IN', 'NIN',
  'TRUE', 'FALSE', 'NULL', 'UNDEFINED',
]);

/** SQL that people try and IoT Hub does not have: named in the error instead of "unexpected token". */
const UNSUPPORTED_CLAUSES: ReadonlyMap<string, string> = new Map([
  ['JOIN', 'JOIN is not supported: an IoT Hub query reads one collection (devices, devices.modules or devices.jobs)'],
  ['HAVING', 'HAVING is not part of the IoT Hub query language'],
  ['LIMIT', 'LIMIT is not part of the IoT Hub query language; use SELECT TOP n'],
  ['OFFSET', 'OFFSET is not part of the IoT Hub query language; page with continuation tokens'],
  ['UNION', 'UNION is not part of the IoT Hub query language'],
  ['DISTINCT', 'DISTINCT is not part of the IoT Hub query language; use GROUP BY'],
]);

const COMPARISON_SYMBOLS: ReadonlyMap<SymbolText, '=' | '!=' | '<' | '>' | '<=' | '>='> = new Map([
  ['=', '='],
  ['!=', '!='],
  ['<>', '!='],
  ['<', '<'],
  ['>', '>'],
  ['<=', '<='],
  ['>=', '>='],
] as const);

export function parseQuery(text: string, options: ParseOptions = {}): QueryAst {
  checkLength(text);
  const loose = options.loose === true;
  const tokens = tokenize(text, { loose });
  const parser = new Parser(tokens, findCollection(tokens), loose);
  const ast = parser.query(text);
  validateQuery(ast, { loose });
  return ast;
}

/** Parses a bare WHERE condition (no `WHERE` keyword); `*` means every document. */
export function parseCondition(text: string, options: ConditionParseOptions = {}): ConditionAst {
  checkLength(text);
  const loose = options.loose === true;
  const collection = options.collection ?? 'devices';
  if (text.trim() === '*') return { kind: 'condition', text, collection, where: undefined };
  const parser = new Parser(tokenize(text, { loose }), collection, loose);
  const where = parser.condition();
  const ast: ConditionAst = { kind: 'condition', text, collection, where };
  validateCondition(ast);
  return ast;
}

function checkLength(text: string): void {
  if (text.length > MAX_QUERY_LENGTH) {
    throw invalidQuery(
      MAX_QUERY_LENGTH,
      `the query is ${text.length} characters long; IoT Hub accepts at most ${MAX_QUERY_LENGTH}`,
    );
  }
}

/** Finds `FROM devices[.modules|.jobs]` ahead of the SELECT list, so paths resolve as they are parsed. */
function findCollection(tokens: readonly Token[]): Collection {
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    const previous = tokens[i - 1];
    if (token.type !== 'name' || token.upper !== 'FROM') continue;
    if (previous?.type === 'symbol' && previous.text === '.') continue;
    const dot = tokens[i + 2];
    const sub = tokens[i + 3];
    if (dot?.type === 'symbol' && dot.text === '.' && sub?.type === 'name') {
      if (sub.upper === 'MODULES') return 'devices.modules';
      if (sub.upper === 'JOBS') return 'devices.jobs';
    }
    return 'devices';
  }
  return 'devices';
}

class Parser {
  private index = 0;
  private unnamed = 0;

  constructor(
    private readonly tokens: readonly Token[],
    private readonly collection: Collection,
    private readonly loose: boolean,
  ) {}

  query(text: string): QueryAst {
    this.expectKeyword('SELECT', 'a query starts with SELECT');
    const top = this.isKeyword('TOP') ? this.top() : undefined;
    const select = this.selectList();
    const fromToken = this.expectKeyword('FROM', 'expected FROM after the SELECT list');
    const from = this.collectionName();
    let where: Expr | undefined;
    let groupBy: PathExpr[] = [];
    let orderBy: OrderItem[] = [];
    let groupByPos: number | undefined;
    let orderByPos: number | undefined;
    this.rejectAfterFrom();
    if (this.isKeyword('WHERE')) {
      this.index++;
      where = this.expression();
    }
    if (this.isKeyword('GROUP')) {
      groupByPos = this.peek().pos;
      this.index++;
      this.expectKeyword('BY', 'expected BY after GROUP');
      groupBy = this.groupByList();
    }
    if (this.isKeyword('ORDER')) {
      orderByPos = this.peek().pos;
      if (!this.loose) {
        throw syntaxError(
          orderByPos,
          "unexpected token 'ORDER': IoT Hub queries have no ORDER BY (hubemu accepts it with loose: true)",
        );
      }
      this.index++;
      this.expectKeyword('BY', 'expected BY after ORDER');
      orderBy = this.orderByList();
    }
    this.expectEnd(where === undefined ? 'expected WHERE, GROUP BY or the end of the query' : undefined);
    return {
      kind: 'query',
      text,
      top,
      select,
      from,
      where,
      groupBy,
      orderBy,
      clauses: {
        from: fromToken.pos,
        ...(groupByPos !== undefined ? { groupBy: groupByPos } : {}),
        ...(orderByPos !== undefined ? { orderBy: orderByPos } : {}),
      },
    };
  }

  condition(): Expr {
    const first = this.peek();
    if (first.type === 'name' && first.upper === 'WHERE') {
      throw syntaxError(first.pos, "a condition has no WHERE keyword: write only what follows WHERE");
    }
    const expr = this.expression();
    this.expectEnd();
    return expr;
  }

  // ----- clauses -----

  private top(): number {
    this.index++;
    const token = this.peek();
    if (token.type !== 'number' || !Number.isInteger(token.value) || token.value < 0) {
      throw syntaxError(token.pos, `TOP takes a non-negative whole number, found ${describeToken(token)}`);
    }
    this.index++;
    return token.value;
  }

  private selectList(): '*' | Projection[] {
    const first = this.peek();
    if (first.type === 'symbol' && first.text === '*') {
      this.index++;
      const next = this.peek();
      if (next.type === 'symbol' && next.text === ',') {
        throw syntaxError(next.pos, "SELECT * cannot be combined with other projections");
      }
      return '*';
    }
    if (first.type === 'name' && UNSUPPORTED_CLAUSES.has(first.upper)) {
      throw syntaxError(first.pos, UNSUPPORTED_CLAUSES.get(first.upper) as string);
    }
    if (first.type === 'name' && first.upper === 'FROM') {
      throw syntaxError(first.pos, "expected '*' or a projection list after SELECT");
    }
    const items: Projection[] = [];
    for (;;) {
      items.push(this.projection());
      if (!this.isSymbol(',')) break;
      this.index++;
    }
    return items;
  }

  private projection(): Projection {
    const pos = this.peek().pos;
    const expr = this.expression();
    let alias: string | undefined;
    if (this.isKeyword('AS')) {
      this.index++;
      alias = this.aliasName();
    } else {
      const next = this.peek();
      if (next.type === 'name' && !RESERVED.has(next.upper)) {
        throw syntaxError(next.pos, `unexpected ${describeToken(next)}: write AS before an alias`);
      }
    }
    const name = alias ?? (expr.kind === 'path' ? (expr.segments[expr.segments.length - 1] as string) : `$${++this.unnamed}`);
    return { expr, name, alias, pos };
  }

  private aliasName(): string {
    const token = this.peek();
    if (token.type === 'escaped') {
      this.index++;
      return token.text;
    }
    if (token.type === 'name' && !RESERVED.has(token.upper)) {
      this.index++;
      return token.text;
    }
    if (token.type === 'name') {
      throw syntaxError(token.pos, `${quote(token.text)} is a reserved word; escape it as [[${token.text}]] to use it as an alias`);
    }
    throw syntaxError(token.pos, `expected an alias after AS, found ${describeToken(token)}`);
  }

  private collectionName(): Collection {
    const token = this.peek();
    if (token.type !== 'name' || token.upper !== 'DEVICES') {
      throw syntaxError(
        token.pos,
        `unknown collection ${describeToken(token)}: IoT Hub queries read devices, devices.modules or devices.jobs`,
      );
    }
    this.index++;
    if (!this.isSymbol('.')) return 'devices';
    this.index++;
    const sub = this.peek();
    if (sub.type === 'name' && sub.upper === 'MODULES') {
      this.index++;
      return 'devices.modules';
    }
    if (sub.type === 'name' && sub.upper === 'JOBS') {
      this.index++;
      return 'devices.jobs';
    }
    throw syntaxError(
      sub.pos,
      `unknown collection 'devices.${sub.type === 'name' ? sub.text : '?'}': IoT Hub queries read devices, devices.modules or devices.jobs`,
    );
  }

  private rejectAfterFrom(): void {
    const token = this.peek();
    if (token.type !== 'name') return;
    const unsupported = UNSUPPORTED_CLAUSES.get(token.upper);
    if (unsupported !== undefined) throw syntaxError(token.pos, unsupported);
    if (!RESERVED.has(token.upper)) {
      throw syntaxError(token.pos, `unexpected ${describeToken(token)}: collection aliases are not supported`);
    }
  }

  private groupByList(): PathExpr[] {
    const items: PathExpr[] = [];
    for (;;) {
      const token = this.peek();
      const expr = this.expression();
      if (expr.kind !== 'path') throw syntaxError(token.pos, 'GROUP BY takes property paths, e.g. GROUP BY properties.reported.status');
      items.push(expr);
      if (!this.isSymbol(',')) break;
      this.index++;
    }
    return items;
  }

  private orderByList(): OrderItem[] {
    const items: OrderItem[] = [];
    for (;;) {
      const pos = this.peek().pos;
      const expr = this.expression();
      let descending = false;
      if (this.isKeyword('ASC')) this.index++;
      else if (this.isKeyword('DESC')) {
        this.index++;
        descending = true;
      }
      items.push({ expr, descending, pos });
      if (!this.isSymbol(',')) break;
      this.index++;
    }
    return items;
  }

  // ----- expressions -----

  private expression(): Expr {
    return this.or();
  }

  private or(): Expr {
    let left = this.and();
    while (this.isKeyword('OR')) {
      const pos = this.peek().pos;
      this.index++;
      left = { kind: 'binary', op: 'OR', left, right: this.and(), pos };
    }
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.isKeyword('AND')) {
      const pos = this.peek().pos;
      this.index++;
      left = { kind: 'binary', op: 'AND', left, right: this.not(), pos };
    }
    return left;
  }

  private not(): Expr {
    if (this.isKeyword('NOT')) {
      const pos = this.peek().pos;
      this.index++;
      return { kind: 'unary', op: 'NOT', operand: this.not(), pos };
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
        throw syntaxError(next.pos, `unexpected ${describeToken(next)}: comparisons cannot be chained; combine them with AND`);
      }
      return { kind: 'binary', op, left, right, pos: token.pos };
    }
    if (token.type !== 'name') return left;
    if (token.upper === 'IN' || token.upper === 'NIN') {
      this.index++;
      return { kind: 'in', negated: token.upper === 'NIN', operand: left, list: this.inList(token.upper), pos: token.pos };
    }
    const next = this.tokens[this.index + 1];
    if (token.upper === 'NOT' && next?.type === 'name' && next.upper === 'IN') {
      if (!this.loose) throw syntaxError(token.pos, "unexpected 'NOT IN': IoT Hub writes it NIN, e.g. status NIN ['a', 'b']");
      this.index += 2;
      return { kind: 'in', negated: true, operand: left, list: this.inList('NOT IN'), pos: token.pos };
    }
    if (token.upper === 'LIKE' || token.upper === 'BETWEEN' || token.upper === 'IS') {
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
      left = { kind: 'binary', op: token.text, left, right: this.multiplicative(), pos: token.pos };
    }
  }

  private multiplicative(): Expr {
    let left = this.unary();
    for (;;) {
      const token = this.peek();
      if (token.type !== 'symbol' || (token.text !== '*' && token.text !== '/' && token.text !== '%')) return left;
      this.index++;
      left = { kind: 'binary', op: token.text, left, right: this.unary(), pos: token.pos };
    }
  }

  private unary(): Expr {
    const token = this.peek();
    if (token.type === 'symbol' && (token.text === '-' || token.text === '+')) {
      this.index++;
      const operand = this.unary();
      if (operand.kind === 'literal' && typeof operand.value === 'number') {
        return { kind: 'literal', value: token.text === '-' ? -operand.value : operand.value, pos: token.pos };
      }
      return { kind: 'unary', op: token.text, operand, pos: token.pos };
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
          const inner = this.expression();
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
          throw syntaxError(token.pos, `${quote(token.text)} is a reserved word; escape it as [[${token.text}]]`);
        }
        written.push({ text: token.text, escaped: false, pos: token.pos });
      } else if (token.type === 'number') {
        throw syntaxError(token.pos, `expected a property name after '.', found ${describeToken(token)}; escape it as [[${token.raw}]]`);
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
        args.push(this.expression());
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
      return { kind: 'aggregate', name, arg: args[0], pos };
    }
    let upper = nameToken.upper;
    const alias = UNDERSCORE_ALIASES.get(upper);
    if (alias !== undefined) {
      if (!this.loose) {
        throw invalidQuery(
          pos,
          `${nameToken.text} is not a twin query function (the service answers "The query is invalid"); use ${alias}`,
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
    return { kind: 'call', name: spec.name, args, pos };
  }

  private arrayConstant(): ArrayExpr {
    const open = this.peek();
    this.index++;
    const items: ConstantExpr[] = [];
    if (!this.isSymbol(']')) {
      for (;;) {
        items.push(this.constant());
        if (!this.isSymbol(',')) break;
        this.index++;
      }
    }
    this.expectSymbol(']', 'to close the array constant');
    return { kind: 'array', items, pos: open.pos };
  }

  private constant(): ConstantExpr {
    const token = this.peek();
    if (token.type === 'symbol' && token.text === '[') return this.arrayConstant();
    const expr = this.unary();
    if (expr.kind === 'literal') return expr;
    throw syntaxError(token.pos, 'array constants may only hold constants (strings, numbers, true, false, null, arrays)');
  }

  // ----- token helpers -----

  private peek(): Token {
    return this.tokens[this.index] as Token;
  }

  private isKeyword(upper: string): boolean {
    const token = this.peek();
    return token.type === 'name' && token.upper === upper;
  }

  private isSymbol(text: SymbolText): boolean {
    const token = this.peek();
    return token.type === 'symbol' && token.text === text;
  }

  private expectKeyword(upper: string, message: string): Token {
    const token = this.peek();
    if (token.type === 'name' && token.upper === upper) {
      this.index++;
      return token;
    }
    throw syntaxError(token.pos, `${message}, found ${describeToken(token)}`);
  }

  private expectSymbol(text: SymbolText, purpose: string): void {
    const token = this.peek();
    if (token.type === 'symbol' && token.text === text) {
      this.index++;
      return;
    }
    throw syntaxError(token.pos, `expected '${text}' ${purpose}, found ${describeToken(token)}`);
  }

  private expectEnd(hint?: string): void {
    const token = this.peek();
    if (token.type === 'end') return;
    if (token.type === 'name') {
      const unsupported = UNSUPPORTED_CLAUSES.get(token.upper);
      if (unsupported !== undefined) throw syntaxError(token.pos, unsupported);
    }
    throw syntaxError(token.pos, `unexpected token ${describeToken(token)}${hint !== undefined ? `: ${hint}` : ''}`);
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
