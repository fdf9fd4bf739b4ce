import { HubError } from '@hubemu/shared';
import { describe, expect, it } from 'vitest';
import { tokenize, type Token } from './tokenizer.js';

const shapes = (text: string, loose = false): string[] =>
  tokenize(text, { loose }).map((t: Token) => {
    switch (t.type) {
      case 'name':
        return `name:${t.text}`;
      case 'escaped':
        return `escaped:${t.text}`;
      case 'number':
        return `number:${t.value}`;
      case 'string':
        return `string:${t.value}`;
      case 'symbol':
        return t.text;
      case 'end':
        return 'end';
    }
  });

function errorOf(text: string): HubError {
  try {
    tokenize(text);
  } catch (e) {
    return e as HubError;
  }
  throw new Error('expected an error');
}

describe('tokenize', () => {
  it('splits names, symbols and constants and records 0-based offsets', () => {
    const tokens = tokenize("SELECT * FROM devices WHERE a.b >= 10");
    expect(tokens.map((t) => t.pos)).toEqual([0, 7, 9, 14, 22, 28, 29, 30, 32, 35, 37]);
    expect(shapes('a<>b != c <= d')).toEqual(['name:a', '<>', 'name:b', '!=', 'name:c', '<=', 'name:d', 'end']);
  });

  it('reads decimal, fractional, exponent and hexadecimal numbers', () => {
    expect(shapes('1 2.5 .5 1e3 2E-2 0x1F 0XfF')).toEqual([
      'number:1',
      'number:2.5',
      'number:0.5',
      'number:1000',
      'number:0.02',
      'number:31',
      'number:255',
      'end',
    ]);
  });

  it('reads both quote styles and the four escapes of the grammar', () => {
    expect(shapes(`'it\\'s' "say \\"hi\\"" 'a\\\\b' '\\u0041\\u00e9'`)).toEqual([
      "string:it's",
      'string:say "hi"',
      'string:a\\b',
      'string:Aé',
      'end',
    ]);
  });

  it('keeps a quote of the other style inside a string', () => {
    expect(shapes(`"it's" 'say "hi"'`)).toEqual(["string:it's", 'string:say "hi"', 'end']);
  });

  it('reads JSON escapes only in loose mode', () => {
    expect(shapes("'a\\nb\\t'", true)).toEqual(['string:a\nb\t', 'end']);
    expect(errorOf("'a\\nb'").message).toBe(
      "Syntax error at position 3: invalid escape sequence '\\n' in string (allowed: \\' \\\" \\\\ \\uXXXX)",
    );
  });

  it('reads [[...]] as an escaped name after a dot and at the start of a path', () => {
    expect(shapes('tags.[[group]].name')).toEqual(['name:tags', '.', 'escaped:group', '.', 'name:name', 'end']);
    expect(shapes('configurations.[[my-config]].status')).toEqual([
      'name:configurations',
      '.',
      'escaped:my-config',
      '.',
      'name:status',
      'end',
    ]);
    expect(shapes('[[select]] = 1')).toEqual(['escaped:select', '=', 'number:1', 'end']);
  });

  it('reads [[ as nested array constants when the content is not a name', () => {
    expect(shapes("x IN [['a'], [1, 2]]")).toEqual([
      'name:x',
      'name:IN',
      '[',
      '[',
      "string:a",
      ']',
      ',',
      '[',
      'number:1',
      ',',
      'number:2',
      ']',
      ']',
      'end',
    ]);
  });

  it('reads [[true]], [[false]], [[null]] after IN/NIN and inside arrays as nested arrays', () => {
    expect(shapes('x IN [[true]]')).toEqual(['name:x', 'name:IN', '[', '[', 'name:true', ']', ']', 'end']);
    expect(shapes('x nin [[false], [[null]]]')).toEqual([
      'name:x',
      'name:nin',
      '[',
      '[',
      'name:false',
      ']',
      ',',
      '[',
      '[',
      'name:null',
      ']',
      ']',
      ']',
      'end',
    ]);
    expect(shapes('x IN [1, [[undefined]]]')).toEqual([
      'name:x',
      'name:IN',
      '[',
      'number:1',
      ',',
      '[',
      '[',
      'name:undefined',
      ']',
      ']',
      ']',
      'end',
    ]);
  });

  it('still reads [[...]] as escaped names after a dot, in function arguments and after the array closes', () => {
    expect(shapes('tags.[[true]]')).toEqual(['name:tags', '.', 'escaped:true', 'end']);
    expect(shapes('f([[my-prop]], [[null]])')).toEqual(['name:f', '(', 'escaped:my-prop', ',', 'escaped:null', ')', 'end']);
    expect(shapes("x IN ['a'] AND [[group]] = 1")).toEqual([
      'name:x',
      'name:IN',
      '[',
      "string:a",
      ']',
      'name:AND',
      'escaped:group',
      '=',
      'number:1',
      'end',
    ]);
  });

  it('refuses SQL comments at their position instead of reading -- as two minus signs', () => {
    expect(errorOf("region = 'US' --comment").message).toBe(
      "Syntax error at position 15: comments are not supported: '--' starts no comment in the IoT Hub query language",
    );
    expect(errorOf('a = 5--1').message).toMatch(/^Syntax error at position 6: comments are not supported/);
    expect(errorOf('a = 1 /* x */').message).toMatch(/^Syntax error at position 7: comments are not supported: '\/\*'/);
    expect(errorOf('a = 1 // x').message).toMatch(/^Syntax error at position 7: comments are not supported/);
    expect(shapes("a = 5 - -1 AND b = '--'")).toEqual(['name:a', '=', 'number:5', '-', '-', 'number:1', 'name:AND', 'name:b', '=', 'string:--', 'end']);
  });

  it('refuses number literals that are not finite', () => {
    expect(errorOf('a < 1e400').message).toBe(
      "Syntax error at position 5: number '1e400' is out of range (it does not fit a 64-bit floating-point number)",
    );
    expect(errorOf(`a < 0x${'f'.repeat(300)}`).message).toMatch(/^Syntax error at position 5: number '0xf+\.\.\.' is out of range/);
    expect(errorOf(`a < ${'9'.repeat(400)}`).message).toMatch(/^Syntax error at position 5: number .* is out of range/);
    expect(shapes('1.7976931348623157e308 5e-400')).toEqual(['number:1.7976931348623157e+308', 'number:0', 'end']);
  });

  it('reads a dot after a name as a path separator, not as the start of a number', () => {
    expect(shapes('tags.[[1]]')).toEqual(['name:tags', '.', 'escaped:1', 'end']);
    expect(shapes('tags.5')).toEqual(['name:tags', '.', 'number:5', 'end']);
  });

  it('accepts letters beyond ASCII and $ in names', () => {
    expect(shapes('tags.città.$version')).toEqual(['name:tags', '.', 'name:città', '.', 'name:$version', 'end']);
  });

  it('reports an unterminated string at its opening quote', () => {
    const error = errorOf("deviceId = 'abc");
    expect(error.errorCode).toBe('InvalidQuery');
    expect(error.message).toBe('Syntax error at position 12: unterminated string: no closing quote');
  });

  it('reports a bad \\u escape at the backslash', () => {
    expect(errorOf("x = 'ab\\u12'").message).toMatch(/^Syntax error at position 8: invalid escape sequence '\\u12'/);
  });

  it('reports a character that is not part of the language', () => {
    expect(errorOf('x = 1;').message).toBe('Syntax error at position 6: unexpected semicolon: a query is one statement, without a terminator');
    expect(errorOf('x & y').message).toBe("Syntax error at position 3: unexpected character '&'");
  });

  it('reports 0x without digits and numbers that run into names', () => {
    expect(errorOf('x = 0x').message).toBe("Syntax error at position 5: invalid hexadecimal number '0x': no digits after 0x");
    expect(errorOf('x = 12abc').message).toBe("Syntax error at position 5: invalid number '12a'");
  });

  it('reports an escaped name that is never closed', () => {
    expect(errorOf('tags.[[group').message).toBe("Syntax error at position 6: unterminated escaped name: '[[' without ']]'");
  });
});
