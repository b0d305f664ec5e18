import { findJsonSyntaxError, lineColumn, parseJsonText } from '../../src/study/json';
import { RequestFileError } from '../../src/study/errors';

function errorAt(text: string): { line?: number; column?: number; message: string } {
  try {
    parseJsonText(text, 'req.json');
  } catch (err) {
    expect(err).toBeInstanceOf(RequestFileError);
    const e = err as RequestFileError;
    return { line: e.line, column: e.column, message: e.message };
  }
  throw new Error('expected a syntax error');
}

describe('parseJsonText', () => {
  it('parses valid JSON, ignoring a byte-order mark', () => {
    expect(parseJsonText('\uFEFF{"a": [1, 2.5e3, "x\\n", true, null]}', 'f')).toEqual({ a: [1, 2500, 'x\n', true, null] });
  });

  it.each([
    ['a bare word', '{\n  "a": 1,\n  "b": x\n}', 3, 8, /unexpected "x"; expected a value/],
    ['a trailing comma', '{\n  "a": 1,\n}', 3, 1, /trailing comma before \}/],
    ['a missing comma', '{\n  "a": 1\n  "b": 2\n}', 3, 3, /expected ',' or '\}' after a property value/],
    ['single quotes', "{'a': 1}", 1, 2, /expected a property name in double quotes/],
    ['an unclosed object', '{"a": 1', 1, 8, /unexpected end of the input; expected ',' or '\}'/],
    ['an unterminated string', '{"a": "abc}', 1, 7, /unterminated string/],
    ['a comment', '{\n  // note\n  "a": 1\n}', 2, 3, /unexpected "\/"; expected a property name/],
    ['an empty file', '  \n', 2, 1, /the input is empty/],
    ['text after the value', '{"a": 1} x', 1, 10, /after the end of the JSON value/],
    ['a leading zero', '{"a": 01}', 1, 7, /invalid number/],
  ])('points at %s with line and column', (_name, text, line, column, message) => {
    const e = errorAt(text);
    expect({ line: e.line, column: e.column }).toEqual({ line, column });
    expect(e.message).toMatch(message);
    expect(e.message.startsWith(`req.json:${line}:${column}: not valid JSON: `)).toBe(true);
  });

  it('agrees with JSON.parse on whether random mutations of a document are valid', () => {
    const doc = JSON.stringify({ a: [1, -2.5e-3, 'x"y\\z', true, false, null, { b: {} }], 'c d': '\u00e9\t' }, null, 1);
    const alphabet = ['{', '}', '[', ']', ',', ':', '"', '\\', '1', '-', '.', 'e', ' ', '\n', 't', 'x', ''];
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const disagreements: string[] = [];
    for (let k = 0; k < 3000; k++) {
      const i = rand(doc.length);
      const text = doc.slice(0, i) + alphabet[rand(alphabet.length)] + doc.slice(i + rand(2));
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      if ((findJsonSyntaxError(text) === undefined) !== valid) disagreements.push(text);
    }
    expect(disagreements).toEqual([]);
  });

  it('computes 1-based lines and columns', () => {
    expect(lineColumn('ab\ncd\n', 4)).toEqual({ line: 2, column: 2 });
    expect(lineColumn('ab', 0)).toEqual({ line: 1, column: 1 });
  });
});
