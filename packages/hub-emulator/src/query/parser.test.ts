import { describe, expect, it } from 'vitest';
import type { Expr } from './ast.js';
import { parseCondition, parseQuery } from './parser.js';
import { hubErrorOf } from '../../../shared/src/hub-error.fixtures.js';

/** A compact rendering of an expression tree, to compare shapes. */
function show(expr: Expr | undefined): string {
  if (expr === undefined) return '*';
  switch (expr.kind) {
    case 'literal':
      return expr.value === undefined ? 'undefined' : JSON.stringify(expr.value);
    case 'array':
      return `[${expr.items.map(show).join(',')}]`;
    case 'path':
      return expr.segments.join('.');
    case 'unary':
      return `(${expr.op} ${show(expr.operand)})`;
    case 'binary':
      return `(${show(expr.left)} ${expr.op} ${show(expr.right)})`;
    case 'in':
      return `(${show(expr.operand)} ${expr.negated ? 'NIN' : 'IN'} ${show(expr.list)})`;
    case 'call':
      return `${expr.name}(${expr.args.map(show).join(',')})`;
    case 'aggregate':
      return `${expr.name}(${expr.arg === undefined ? '' : show(expr.arg)})`;
  }
}

describe('parseQuery', () => {
  it('parses every clause of the grammar', () => {
    const ast = parseQuery(
      'SELECT TOP 5 properties.reported.telemetryConfig.status AS status, COUNT() AS n FROM devices WHERE tags.location.region = \'US\' GROUP BY properties.reported.telemetryConfig.status',
    );
    expect(ast.top).toBe(5);
    expect(ast.from).toBe('devices');
    expect(ast.select).not.toBe('*');
    expect(ast.select === '*' ? [] : ast.select.map((p) => [p.name, show(p.expr)])).toEqual([
      ['status', 'properties.reported.telemetryConfig.status'],
      ['n', 'COUNT()'],
    ]);
    expect(show(ast.where)).toBe('(tags.location.region = "US")');
    expect(ast.groupBy.map(show)).toEqual(['properties.reported.telemetryConfig.status']);
  });

  it('gives NOT, then AND, then OR, comparisons and arithmetic the usual precedence', () => {
    const ast = parseQuery('SELECT * FROM devices WHERE NOT a = 1 AND b + 2 * 3 > 4 OR c IN [1, -2] AND d NIN []');
    expect(show(ast.where)).toBe('(((NOT (a = 1)) AND ((b + (2 * 3)) > 4)) OR ((c IN [1,-2]) AND (d NIN [])))');
  });

  it('reads <> as != and keeps arithmetic left-associative', () => {
    expect(show(parseQuery('SELECT * FROM devices WHERE a <> 10 - 2 - 1').where)).toBe('(a != ((10 - 2) - 1))');
  });

  it('strips the collection prefix and puts system names in canonical case', () => {
    expect(show(parseQuery("SELECT * FROM devices WHERE Devices.DEVICEID = 'x'").where)).toBe('(deviceId = "x")');
    expect(show(parseQuery("SELECT * FROM devices.modules WHERE devices.modules.ModuleId = 'm'").where)).toBe('(moduleId = "m")');
    expect(show(parseQuery('SELECT * FROM devices WHERE PROPERTIES.DESIRED.$Version = 1').where)).toBe(
      '(properties.desired.$version = 1)',
    );
  });

  it('keeps user keys as written and resolves escaped names', () => {
    expect(show(parseQuery('SELECT * FROM devices WHERE tags.Location.[[my key]] = 1').where)).toBe('(tags.Location.my key = 1)');
    expect(show(parseQuery("SELECT * FROM devices WHERE configurations.[[My-Config]].STATUS = 'Applied'").where)).toBe(
      '(configurations.My-Config.status = "Applied")',
    );
  });

  it('reads createdTimeUtc of the docs as the createdDateTimeUtc field of job rows', () => {
    expect(show(parseQuery("SELECT * FROM devices.jobs WHERE devices.jobs.createdTimeUtc > '2016'").where)).toBe(
      '(createdDateTimeUtc > "2016")',
    );
  });

  it('names projections by alias, else by the last canonical segment, else $1, $2', () => {
    const ast = parseQuery('SELECT DeviceId, properties.Reported, COUNT(), SUM(version) FROM devices GROUP BY deviceId, properties.reported', {
      loose: true,
    });
    expect(ast.select === '*' ? [] : ast.select.map((p) => p.name)).toEqual(['deviceId', 'reported', '$1', '$2']);
  });

  it('reads a sign before a number literal as part of the constant, and before anything else only in loose mode', () => {
    expect(show(parseQuery('SELECT * FROM devices WHERE a = -1 OR a = + 2 OR a = - 0x10 OR a IN [-1.5, +3]').where)).toBe(
      '((((a = -1) OR (a = 2)) OR (a = -16)) OR (a IN [-1.5,3]))',
    );
    expect(show(parseQuery('SELECT * FROM devices WHERE a - -1 = 0').where)).toBe('((a - -1) = 0)');
    expect(show(parseQuery('SELECT * FROM devices WHERE -a = - -(b) + - -1', { loose: true }).where)).toBe('((- a) = ((- (- b)) + 1))');
  });

  it('reads [[true]], [[false]], [[null]] after IN and NIN as nested array constants', () => {
    expect(show(parseQuery('SELECT * FROM devices WHERE a IN [[true]]').where)).toBe('(a IN [[true]])');
    expect(show(parseQuery('SELECT * FROM devices WHERE a NIN [[false], [[null]]]').where)).toBe('(a NIN [[false],[[null]]])');
    expect(show(parseQuery("SELECT * FROM devices WHERE a IN ['x', [[undefined]]]").where)).toBe('(a IN ["x",[[undefined]]])');
    expect(show(parseQuery('SELECT * FROM devices WHERE a NOT IN [[true]]', { loose: true }).where)).toBe('(a NIN [[true]])');
    expect(show(parseQuery("SELECT * FROM devices WHERE CONCAT([[my-prop]], 'x') = 'yx'").where)).toBe('(CONCAT(my-prop,"x") = "yx")');
  });

  it('refuses CONTAINS in strict mode and accepts it in loose mode', () => {
    expect(hubErrorOf(() => parseQuery("SELECT * FROM devices WHERE contains(deviceId, 'a')")).message).toBe(
      'Invalid query at position 29: contains was reported not to work in IoT Hub twin queries - use STARTSWITH or ENDSWITH where they fit (hubemu accepts it with loose: true)',
    );
    expect(show(parseQuery("SELECT * FROM devices WHERE contains(deviceId, 'a')", { loose: true }).where)).toBe('CONTAINS(deviceId,"a")');
  });

  it('resolves STARTS_WITH to STARTSWITH in loose mode', () => {
    expect(show(parseQuery("SELECT * FROM devices WHERE starts_with(deviceId, 'a')", { loose: true }).where)).toBe(
      'STARTSWITH(deviceId,"a")',
    );
  });

  it('points ORDER BY in strict mode at the ORDER keyword', () => {
    const error = hubErrorOf(() => parseQuery("SELECT * FROM devices WHERE tags.location.region = 'US' ORDER BY deviceId"));
    expect(error.errorCode).toBe('InvalidQuery');
    expect(error.message).toBe(
      "Syntax error at position 57: unexpected token 'ORDER': IoT Hub queries have no ORDER BY (hubemu accepts it with loose: true)",
    );
    expect(error.info).toEqual({ position: 57 });
  });

  it('parses ORDER BY with directions in loose mode', () => {
    const ast = parseQuery('SELECT * FROM devices ORDER BY tags.a DESC, deviceId', { loose: true });
    expect(ast.orderBy.map((o) => [show(o.expr), o.descending])).toEqual([
      ['tags.a', true],
      ['deviceId', false],
    ]);
  });

  it.each([
    ['', 'Syntax error at position 1: a query starts with SELECT, found end of query'],
    ['SELECT FROM devices', "Syntax error at position 8: expected '*' or a projection list after SELECT"],
    ['SELECT * FROM', "Syntax error at position 14: unknown collection end of query"],
    ['SELECT * FROM devices WHERE (a = 1', "Syntax error at position 35: expected ')' to close the parenthesis, found end of query"],
    ['SELECT * FROM devices WHERE a = ', 'Syntax error at position 33: unexpected end of query, expected an expression'],
    ['SELECT * FROM devices WHERE a IN [1, b]', 'Syntax error at position 38: array constants may only hold constants'],
    ['SELECT * FROM devices WHERE a LIKE \'x%\'', 'Syntax error at position 31: LIKE is not part of the IoT Hub query language'],
    ['SELECT *, deviceId FROM devices', 'Syntax error at position 9: SELECT * cannot be combined with other projections'],
    ['SELECT DISTINCT status FROM devices', 'Syntax error at position 8: DISTINCT is not part of the IoT Hub query language - use GROUP BY'],
    ['SELECT * FROM devices LIMIT 5', 'Syntax error at position 23: LIMIT is not part of the IoT Hub query language - use SELECT TOP n'],
    ['SELECT * FROM devices WHERE a = 1 GROUP status', 'Syntax error at position 41: expected BY after GROUP, found'],
    ['SELECT * FROM devices WHERE tags.x = 1 HAVING 1', 'Syntax error at position 40: HAVING is not part of the IoT Hub query language'],
    ['SELECT TOP 1.5 * FROM devices', 'Syntax error at position 12: TOP takes a non-negative whole number'],
    ['SELECT TOP 1e2 * FROM devices', "Syntax error at position 12: TOP takes a non-negative whole number written in digits, found '1e2'"],
    ['SELECT TOP 0x10 * FROM devices', "Syntax error at position 12: TOP takes a non-negative whole number written in digits, found '0x10'"],
    ['SELECT TOP +1 * FROM devices', "Syntax error at position 12: TOP takes a non-negative whole number written in digits, found '+'"],
    ['SELECT * FROM devices WHERE -a = 1', "Syntax error at position 29: a sign may only precede a number literal, found '-' before 'a'"],
    ['SELECT * FROM devices WHERE a = - -1', "Syntax error at position 33: a sign may only precede a number literal, found '-' before '-'"],
    ['SELECT * FROM devices WHERE a = +(1)', "Syntax error at position 33: a sign may only precede a number literal, found '+' before '('"],
    ['SELECT * FROM devices WHERE a IN [-b]', "Syntax error at position 35: a sign may only precede a number literal"],
    ["SELECT * FROM devices WHERE a = 1 -- and b = 2", "Syntax error at position 35: comments are not supported"],
    ['SELECT * FROM devices WHERE a IN [[group]]', "Syntax error at position 36: unexpected keyword 'group', expected an expression"],
    ['SELECT deviceId AS select FROM devices', "Syntax error at position 20: 'select' is a reserved word - escape it as [[select]]"],
    ['SELECT * FROM devices WHERE tags.1 = 1', "Syntax error at position 34: expected a property name after '.', found '1' - escape it as [[1]]"],
    ['SELECT * FROM devices WHERE a IS NULL', 'Syntax error at position 31: IS is not part of the IoT Hub query language'],
  ])('refuses %j with a positioned message', (query, message) => {
    const error = hubErrorOf(() => parseQuery(query));
    expect(error.errorCode).toBe('InvalidQuery');
    expect(error.message.startsWith(message)).toBe(true);
  });

  it.each([
    ["SELECT * FROM devices WHERE NOSUCH(deviceId)", "Invalid query at position 29: unknown function 'NOSUCH'"],
    ['SELECT * FROM devices WHERE STARTSWITH(deviceId)', 'Invalid query at position 29: STARTSWITH takes 2 arguments, got 1'],
    ['SELECT * FROM devices WHERE CONCAT(deviceId)', 'Invalid query at position 29: CONCAT takes at least 2 arguments, got 1'],
    ['SELECT * FROM devices WHERE SUBSTRING(deviceId)', 'Invalid query at position 29: SUBSTRING takes 2 to 3 arguments, got 1'],
    ['SELECT SUM() AS s FROM devices', 'Invalid query at position 8: SUM takes exactly one argument'],
    ['SELECT SUM(version + 1) AS s FROM devices', 'Invalid query at position 12: SUM() takes a property path in IoT Hub (hubemu accepts expressions with loose: true)'],
    ['SELECT version + 1 AS v FROM devices', 'Invalid query at position 8: SELECT takes property paths and aggregates'],
    ['SELECT COUNT() + 1 AS n FROM devices', 'Invalid query at position 8: COUNT() is an aggregate'],
    ['SELECT * FROM devices.modules WHERE devices.deviceId = \'x\'', 'Invalid query at position 37: the path refers to devices but the query reads devices.modules'],
    ['SELECT * FROM devices WHERE devices = 1', "Invalid query at position 29: expected a property after 'devices.'"],
  ])('refuses %j as an invalid query', (query, message) => {
    const error = hubErrorOf(() => parseQuery(query));
    expect(error.errorCode).toBe('InvalidQuery');
    expect(error.message.startsWith(message)).toBe(true);
  });

  it('refuses a query over 8,192 characters and accepts one of exactly 8,192', () => {
    const base = "SELECT * FROM devices WHERE deviceId = '";
    const exact = `${base}${'x'.repeat(8192 - base.length - 1)}'`;
    expect(exact).toHaveLength(8192);
    expect(() => parseQuery(exact)).not.toThrow();
    const error = hubErrorOf(() => parseQuery(`${exact} `));
    expect(error.message).toBe(
      'Invalid query at position 8193: the query is 8193 characters long - IoT Hub accepts at most 8192',
    );
  });
});

describe('parseCondition', () => {
  it('reads * as every device', () => {
    const ast = parseCondition(' * ');
    expect(ast.where).toBeUndefined();
    expect(ast.collection).toBe('devices');
  });

  it("parses a job's queryCondition and a configuration's targetCondition", () => {
    expect(show(parseCondition("deviceId IN ['a','b']").where)).toBe('(deviceId IN ["a","b"])');
    expect(show(parseCondition("tags.environment='test'").where)).toBe('(tags.environment = "test")');
  });

  it('resolves names against the collection it is given', () => {
    expect(show(parseCondition("devices.modules.moduleId = 'm'", { collection: 'devices.modules' }).where)).toBe('(moduleId = "m")');
  });

  it('refuses a leading WHERE and trailing clauses', () => {
    expect(hubErrorOf(() => parseCondition('WHERE a = 1')).message).toBe(
      'Syntax error at position 1: a condition has no WHERE keyword: write only what follows WHERE',
    );
    expect(hubErrorOf(() => parseCondition('a = 1 GROUP BY a')).message).toBe("Syntax error at position 7: unexpected token 'GROUP'");
  });

  it('refuses aggregates in a condition', () => {
    expect(hubErrorOf(() => parseCondition('COUNT() > 1')).message).toMatch(/^Invalid query at position 1: COUNT\(\) is an aggregate/);
  });
});
