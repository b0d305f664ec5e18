/**
 * Reading JSON input (request files, `sagetune ask` input) with errors a person can act on: the file, the line
 * and column of the first mistake, and what was expected there. Node's own `JSON.parse` messages often carry
 * no position at all ("Unexpected token 'x', ... is not valid JSON"), so on a parse failure a small strict
 * scanner walks the text again to find where it goes wrong.
 */
import { readFile } from 'fs/promises';
import { RequestFileError } from './errors';

/** Where a JSON text goes wrong: 0-based offset and a description. */
export interface JsonSyntaxProblem {
  readonly offset: number;
  readonly message: string;
}

class Stop extends Error {
  constructor(readonly offset: number, message: string) {
    super(message);
  }
}

function describe(ch: string | undefined): string {
  if (ch === undefined) return 'end of the input';
  if (ch === '\n' || ch === '\r') return 'end of the line';
  return JSON.stringify(ch);
}

/**
 * Finds the first syntax error of a JSON text (RFC 8259), or undefined when the text is valid JSON. Only the
 * position and a description are computed; values are not built.
 */
export function findJsonSyntaxError(text: string): JsonSyntaxProblem | undefined {
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw new Stop(at, message);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const literal = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail(`unexpected ${describe(text[i])}; expected a value (a string in double quotes, a number, true, false, null, an object or a list)`);
  };
  const string = (): void => {
    const start = i;
    i++;
    for (;;) {
      const ch = text[i];
      if (ch === undefined) fail('unterminated string (missing closing ")', start);
      if (ch === '"') {
        i++;
        return;
      }
      if (ch === '\\') {
        const esc = text[i + 1];
        if (esc === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('invalid \\u escape: expected 4 hex digits');
          i += 6;
        } else if (esc !== undefined && '"\\/bfnrt'.includes(esc)) i += 2;
        else fail(`invalid escape \\${esc ?? ''} in a string (write a backslash as \\\\)`);
      } else if (ch < ' ') fail(ch === '\n' ? 'line break inside a string (write it as \\n, or close the string)' : 'control character inside a string');
      else i++;
    }
  };
  const number = (): void => {
    const start = i;
    const re = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m || m[0] === '-' || m[0] === '') fail('invalid number', start);
    i = re.lastIndex;
    if (/[0-9.eE]/.test(text[i] ?? '')) fail('invalid number (no leading zeros; a decimal point needs digits on both sides)', start);
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') object();
    else if (ch === '[') list();
    else if (ch === '"') string();
    else if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) number();
    else if (ch === 't') literal('true');
    else if (ch === 'f') literal('false');
    else if (ch === 'n') literal('null');
    else if (ch === "'") fail("strings must be in double quotes, not single quotes");
    else if (ch === undefined) fail('unexpected end of the input; expected a value');
    else fail(`unexpected ${describe(ch)}; expected a value (a string in double quotes, a number, true, false, null, an object or a list)`);
  };
  const object = (): void => {
    i++;
    ws();
    if (text[i] === '}') {
      i++;
      return;
    }
    for (;;) {
      ws();
      if (text[i] === '}') fail('trailing comma before }');
      if (text[i] !== '"') fail(`unexpected ${describe(text[i])}; expected a property name in double quotes`);
      string();
      ws();
      if (text[i] !== ':') fail(`unexpected ${describe(text[i])}; expected ':' after the property name`);
      i++;
      value();
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return;
      }
      fail(`unexpected ${describe(text[i])}; expected ',' or '}' after a property value`);
    }
  };
  const list = (): void => {
    i++;
    ws();
    if (text[i] === ']') {
      i++;
      return;
    }
    for (;;) {
      value();
      ws();
      if (text[i] === ',') {
        i++;
        ws();
        if (text[i] === ']') fail('trailing comma before ]');
        continue;
      }
      if (text[i] === ']') {
        i++;
        return;
      }
      fail(`unexpected ${describe(text[i])}; expected ',' or ']' after a list element`);
    }
  };
  try {
    ws();
    if (i === text.length) fail('the input is empty; expected a JSON value');
    value();
    ws();
    if (i < text.length) fail(`unexpected ${describe(text[i])} after the end of the JSON value`);
    return undefined;
  } catch (err) {
    if (err instanceof Stop) return { offset: err.offset, message: err.message };
    throw err;
  }
}

/** 1-based line and column of an offset (columns count UTF-16 code units, as editors mostly do). */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let k = 0; k < offset && k < text.length; k++) {
    if (text[k] === '\n') {
      line++;
      start = k + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/**
 * Parses JSON text, or throws {@link RequestFileError} naming `source`, the line and column and the mistake.
 * A leading byte-order mark is ignored.
 */
export function parseJsonText(text: string, source: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch (err) {
    const problem = findJsonSyntaxError(body);
    if (!problem) throw new RequestFileError(source, `not valid JSON: ${(err as Error).message}`, { cause: err });
    const { line, column } = lineColumn(body, problem.offset);
    throw new RequestFileError(source, `not valid JSON: ${problem.message}`, { line, column, cause: err });
  }
}

/** Reads and parses a JSON file; `-` reads standard input. A missing or unreadable file is a {@link RequestFileError}. */
export async function readJsonInput(path: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<unknown> {
  if (path === '-') return parseJsonText(await readStream(stdin), '<stdin>');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a JSON file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new RequestFileError(path, why, { cause: err });
  }
  return parseJsonText(text, path);
}

/** Reads a whole stream as UTF-8 text. */
export async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
