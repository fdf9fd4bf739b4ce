import type {
  Collection,
  ConditionAst,
  ConditionParseOptions,
  Expr,
  OrderItem,
  ParseOptions,
  PathExpr,
  Projection,
  QueryAst,
} from './ast.js';
import { MAX_QUERY_LENGTH, invalidQuery, quote, syntaxError } from './errors.js';
import { ExpressionParser } from './expression-parser.js';
import { RESERVED, UNSUPPORTED_CLAUSES } from './token-cursor.js';
import { describeToken, tokenize, type Token } from './tokenizer.js';
import { validateCondition, validateQuery } from './validate.js';

/**
 * The parser of the IoT Hub query language (grammar in README.md): clauses here, expressions in
 * expression-parser.ts. Names resolve against the collection as they are read, so the FROM clause
 * is found first.
 */

export function parseQuery(text: string, options: ParseOptions = {}): QueryAst {
  checkLength(text);
  const loose = options.loose === true;
  const tokens = tokenize(text, { loose });
  const parser = new QueryParser(tokens, findCollection(tokens), loose);
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
  const parser = new QueryParser(tokenize(text, { loose }), collection, loose);
  const where = parser.condition();
  const ast: ConditionAst = { kind: 'condition', text, collection, where };
  validateCondition(ast);
  return ast;
}

function checkLength(text: string): void {
  if (text.length > MAX_QUERY_LENGTH) {
    throw invalidQuery(
      MAX_QUERY_LENGTH,
      `the query is ${text.length} characters long - IoT Hub accepts at most ${MAX_QUERY_LENGTH}`,
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

class QueryParser extends ExpressionParser {
  private unnamed = 0;

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
    // Plain digits only: not 1e2, 0x10, 1.0 or a sign.
    if (token.type !== 'number' || !/^\d+$/u.test(token.raw)) {
      throw syntaxError(token.pos, `TOP takes a non-negative whole number written in digits, found ${describeToken(token)}`);
    }
    if (!Number.isSafeInteger(token.value)) {
      throw syntaxError(token.pos, `TOP ${token.raw} is too large (at most ${Number.MAX_SAFE_INTEGER})`);
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
      throw syntaxError(token.pos, `${quote(token.text)} is a reserved word - escape it as [[${token.text}]] to use it as an alias`);
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
}
