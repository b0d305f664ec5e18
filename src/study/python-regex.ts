/**
 * Translation of the Python regular expressions that SageMaker's `MetricDefinitions` use into JavaScript
 * regular expressions with the same meaning on one line of log output.
 *
 * What differs and is translated: named groups `(?P<name>...)` and backreferences `(?P=name)`, comments
 * `(?#...)`, leading inline flags `(?imsx)` (verbose mode `x` strips whitespace and `#` comments), `\A` and `\Z`,
 * `{,n}`, `\a`, and a `]` first in a character class. What JavaScript (Node 20) cannot express is rejected with
 * a message naming it: scoped flags `(?i:...)`, atomic groups, possessive quantifiers, conditionals, `\N{...}`.
 * So is what JavaScript accepts but Python does not, since the same request must behave alike on SageMaker:
 * `(?<name>...)`, unknown letter escapes (`\p{L}`, `\k<name>`, `\e`...), `\x`/`\u` without their hex digits, and
 * look-behinds of variable width.
 */

/** A metric regex that is not valid Python-regex syntax, or uses a construct that cannot be translated. */
export class PythonRegexError extends Error {
  /** The regex as given. */
  readonly source: string;
  constructor(source: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PythonRegexError';
    this.source = source;
  }
}

/** Result of {@link translatePythonRegex}. */
export interface TranslatedRegex {
  /** JavaScript pattern source. */
  readonly source: string;
  /** JavaScript flags (a subset of `ims`). */
  readonly flags: string;
}

const INLINE_FLAGS = new Set(['a', 'i', 'L', 'm', 's', 'u', 'x']);
/** Letters Python's `re` accepts after a backslash, outside and inside a character class (others are errors). */
const LETTER_ESCAPES = 'aAbBdDfnNrsStuUvwWxZ';
const CLASS_LETTER_ESCAPES = 'abdDfnNrsStuUvwWx';

function badEscape(letter: string, inClass: boolean): string {
  const hint: Record<string, string> = {
    p: "Python's re has no Unicode property classes such as \\p{L}",
    P: "Python's re has no Unicode property classes such as \\P{L}",
    k: 'a backreference to a named group is (?P=name) in Python',
    z: 'the end of the text is \\Z in Python',
    c: 'Python has no control escapes \\cX; use \\xHH',
  };
  return `bad escape \\${letter}${inClass && 'ABZ'.includes(letter) ? ' inside a character set' : ''}${hint[letter] ? `: ${hint[letter]}` : ''}`;
}

/** Index just past the character class that opens at `i` (a `]` right after `[` or `[^` is a literal). */
function classEnd(source: string, i: number): number {
  let j = i + 1;
  if (source[j] === '^') j += 1;
  if (source[j] === ']') j += 1;
  for (; j < source.length; j++) {
    if (source[j] === '\\') j += 1;
    else if (source[j] === ']') return j + 1;
  }
  return source.length;
}

/** Index of the `)` closing the group whose contents start at `i`. */
function groupEnd(source: string, i: number): number {
  let depth = 0;
  for (let j = i; j < source.length; j++) {
    const c = source[j];
    if (c === '\\') j += 1;
    else if (c === '[') j = classEnd(source, j) - 1;
    else if (c === '(') depth += 1;
    else if (c === ')') {
      if (depth === 0) return j;
      depth -= 1;
    }
  }
  return source.length;
}

/** Thrown inside {@link matchWidth}: why a look-behind's width is not fixed. */
class NotFixedWidth {
  constructor(readonly why: string) {}
}

/**
 * The number of characters a (JavaScript-syntax, translated) pattern matches, when it is fixed; throws
 * {@link NotFixedWidth} otherwise. Alternatives must match the same width, as Python requires of a look-behind;
 * look-arounds and anchors match none; a group reference is taken as one character (Python resolves it).
 */
function matchWidth(body: string, localGroups: Set<string>): number {
  let width: number | undefined;
  let total = 0;
  let i = 0;
  const endAlternative = (): void => {
    if (width !== undefined && width !== total) throw new NotFixedWidth('its alternatives match different lengths');
    width = total;
    total = 0;
  };
  while (i < body.length) {
    const c = body[i];
    let atom: number;
    if (c === '|') {
      endAlternative();
      i += 1;
      continue;
    } else if (c === '\\') {
      const n = body[i + 1];
      if (/[1-9]/.test(n) || n === 'k') {
        const ref = n === 'k' ? (/^\\k<([^>]+)>/.exec(body.slice(i))?.[1] ?? '') : (/^\\(\d+)/.exec(body.slice(i))?.[1] ?? '');
        if (localGroups.has(ref)) throw new NotFixedWidth('it refers to a group defined inside it');
      }
      atom = n === 'b' || n === 'B' ? 0 : 1;
      i += n === 'x' ? 4 : n === 'u' ? 6 : n === 'k' ? body.indexOf('>', i) + 1 - i : /[1-9]/.test(n) ? (/^\\\d+/.exec(body.slice(i))?.[0].length ?? 2) : 2;
    } else if (c === '[') {
      atom = 1;
      i = classEnd(body, i);
    } else if (c === '(') {
      const close = groupEnd(body, i + 1);
      const inner = body.slice(i + 1, close);
      if (/^\?(=|!|<=|<!)/.test(inner)) atom = 0;
      else atom = matchWidth(inner.replace(/^\?(:|<[^>]+>)/, ''), localGroups);
      i = close + 1;
    } else if (c === '^' || c === '$') {
      atom = 0;
      i += 1;
    } else {
      atom = 1;
      i += 1;
    }
    // A quantifier after the atom: only {n} (or {n,n}) keeps the width fixed; a lazy "?" after it changes nothing.
    const q = /^(?:[*+?]|\{(\d*)(,?)(\d*)\})/.exec(body.slice(i));
    if (q) {
      const fixed = q[0].startsWith('{') && q[1] !== '' && (q[2] === '' || q[1] === q[3]);
      if (!fixed) throw new NotFixedWidth(`"${q[0]}" repeats a variable number of times`);
      atom *= Number(q[1]);
      i += q[0].length;
      if (body[i] === '?') i += 1;
    }
    total += atom;
  }
  endAlternative();
  return width ?? 0;
}

/** Why a look-behind of the translated `source` is not allowed in Python, or undefined when all are. */
function lookBehindProblem(source: string): string | undefined {
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i += 1;
      continue;
    }
    if (c === '[') {
      i = classEnd(source, i) - 1;
      continue;
    }
    if (!source.startsWith('(?<=', i) && !source.startsWith('(?<!', i)) continue;
    const body = source.slice(i + 4, groupEnd(source, i + 4));
    // Groups defined inside the look-behind, by name and by number (Python cannot refer to them from inside it).
    const before = capturingGroups(source.slice(0, i));
    const local = new Set<string>();
    capturingGroups(body).forEach((name, k) => {
      local.add(String(before.length + k + 1));
      if (name) local.add(name);
    });
    try {
      matchWidth(body, local);
    } catch (e) {
      if (e instanceof NotFixedWidth) return `look-behind requires a fixed-width pattern in Python; "(?<${source[i + 3]}${body})" does not have one: ${e.why}`;
      throw e;
    }
  }
  return undefined;
}

/** The capturing groups of a pattern in order: the name of each ('' for a numbered one). */
function capturingGroups(source: string): string[] {
  const names: string[] = [];
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i += 1;
    else if (c === '[') i = classEnd(source, i) - 1;
    else if (c === '(') {
      const named = /^\(\?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(source.slice(i));
      if (named) names.push(named[1]);
      else if (source[i + 1] !== '?') names.push('');
    }
  }
  return names;
}

/**
 * Translates a Python `re` pattern into an equivalent JavaScript pattern and flags.
 * Throws {@link PythonRegexError} for constructs JavaScript cannot express; JavaScript's own syntax check
 * happens when the result is compiled (see {@link compilePythonRegex}).
 */
export function translatePythonRegex(pattern: string): TranslatedRegex {
  const flags = new Set<string>();
  let i = 0;
  // Python 3.11 accepts global inline flags only at the start of the pattern.
  while (pattern.startsWith('(?', i)) {
    const m = /^\(\?([a-zA-Z]+)\)/.exec(pattern.slice(i));
    if (!m) break;
    for (const f of m[1]) {
      if (!INLINE_FLAGS.has(f)) throw new PythonRegexError(pattern, `unknown inline flag "${f}" in "${m[0]}"`);
      if (f === 'L') throw new PythonRegexError(pattern, 'the locale flag (?L) is not supported (it is only valid for bytes patterns)');
      flags.add(f);
    }
    i += m[0].length;
  }
  const verbose = flags.has('x');
  let out = '';
  let inClass = false;
  let classStart = -1;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) throw new PythonRegexError(pattern, 'bad escape (end of pattern)');
      if (/[A-Za-z]/.test(next) && !(inClass ? CLASS_LETTER_ESCAPES : LETTER_ESCAPES).includes(next)) {
        throw new PythonRegexError(pattern, badEscape(next, inClass));
      }
      const digits = next === 'x' ? 2 : next === 'u' ? 4 : 0;
      if (digits > 0 && !new RegExp(`^[0-9A-Fa-f]{${digits}}`).test(pattern.slice(i + 2))) {
        throw new PythonRegexError(pattern, `bad escape \\${next}: it needs exactly ${digits} hexadecimal digits, as in \\${next}${'0'.repeat(digits - 1)}A`);
      }
      if (next === 'N' && pattern[i + 2] !== '{') throw new PythonRegexError(pattern, 'bad escape \\N: it needs a name in braces, \\N{...}');
      if (!inClass && next === 'A') out += '^';
      else if (!inClass && next === 'Z') out += '$';
      else if (next === 'a') out += '\\x07'; // the bell character in Python; a plain "a" in JavaScript
      else if (next === 'N' && pattern[i + 2] === '{') throw new PythonRegexError(pattern, 'named Unicode escapes \\N{...} are not supported');
      else if (next === 'U') throw new PythonRegexError(pattern, 'the escape \\U (8-digit Unicode) is not supported; use \\uXXXX');
      else out += c + next;
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === ']' && i !== classStart) inClass = false;
      out += c === ']' && i === classStart ? '\\]' : c;
      i += 1;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      i += 1;
      if (pattern[i] === '^') {
        out += '^';
        i += 1;
      }
      classStart = i; // a `]` right here is a literal in Python, an empty class in JavaScript
      continue;
    }
    if (verbose && /\s/.test(c)) {
      i += 1;
      continue;
    }
    if (verbose && c === '#') {
      while (i < pattern.length && pattern[i] !== '\n') i += 1;
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i);
      let m: RegExpExecArray | null;
      if ((m = /^\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest))) {
        out += `(?<${m[1]}>`;
        i += m[0].length;
      } else if ((m = /^\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/.exec(rest))) {
        out += `\\k<${m[1]}>`;
        i += m[0].length;
      } else if ((m = /^\(\?<([^=!][^>]*)>/.exec(rest))) {
        throw new PythonRegexError(pattern, `"${m[0]}" is JavaScript syntax; Python names a group with (?P<${m[1]}>...)`);
      } else if (rest.startsWith('(?P')) {
        throw new PythonRegexError(pattern, `bad named group at "${rest.slice(0, 12)}": expected (?P<name>...) or (?P=name)`);
      } else if (rest.startsWith('(?#')) {
        const end = pattern.indexOf(')', i);
        if (end < 0) throw new PythonRegexError(pattern, 'missing ) closing a (?#...) comment');
        i = end + 1;
      } else if (rest.startsWith('(?>')) {
        throw new PythonRegexError(pattern, 'atomic groups (?>...) are not supported');
      } else if (rest.startsWith('(?(')) {
        throw new PythonRegexError(pattern, 'conditional groups (?(id)yes|no) are not supported');
      } else if (/^\(\?[aiLmsux-]+[:)]/.test(rest)) {
        throw new PythonRegexError(
          pattern,
          `inline flags are supported only at the start of the pattern, as in "(?i)loss=(\\S+)"; "${/^\(\?[aiLmsux-]+[:)]/.exec(rest)?.[0]}" is not`,
        );
      } else {
        // (?:  (?=  (?!  (?<=  (?<!  are the same in both dialects, except that Python's look-behind must match a
        // fixed width (checked on the translated pattern, below).
        out += '(?';
        i += 2;
      }
      continue;
    }
    if (c === '{') {
      const m = /^\{,(\d+)\}/.exec(pattern.slice(i));
      if (m) {
        out += `{0,${m[1]}}`;
        i += m[0].length;
        if (pattern[i] === '+') throw new PythonRegexError(pattern, 'possessive quantifiers (such as {,n}+) are not supported');
        continue;
      }
      const q = /^\{\d*,?\d*\}\+/.exec(pattern.slice(i));
      if (q && q[0] !== '{}+') throw new PythonRegexError(pattern, `possessive quantifiers (such as "${q[0]}") are not supported`);
    }
    if ((c === '*' || c === '+' || c === '?') && pattern[i + 1] === '+' && !(c === '?' && out.endsWith('('))) {
      throw new PythonRegexError(pattern, `possessive quantifiers (such as "${c}+") are not supported`);
    }
    out += c;
    i += 1;
  }
  if (inClass) throw new PythonRegexError(pattern, 'unterminated character set (missing ])');
  const lookBehind = lookBehindProblem(out);
  if (lookBehind) throw new PythonRegexError(pattern, lookBehind);
  const jsFlags = ['i', 'm', 's'].filter((f) => flags.has(f)).join('');
  return { source: out, flags: jsFlags };
}

/** A compiled metric regex: matches within one line of output; `groups` is the number of capture groups. */
export interface CompiledRegex {
  readonly regex: RegExp;
  readonly groups: number;
}

/**
 * Translates and compiles a Python pattern into a global JavaScript RegExp (for `matchAll`).
 * Throws {@link PythonRegexError} with JavaScript's own complaint when the pattern is invalid.
 */
export function compilePythonRegex(pattern: string): CompiledRegex {
  const t = translatePythonRegex(pattern);
  let regex: RegExp;
  try {
    regex = new RegExp(t.source, `${t.flags}g`);
  } catch (err) {
    // V8 says "Invalid regular expression: /<translated source>/<flags>: <reason>"; the reason is what helps.
    const why = err instanceof Error ? err.message.replace(/^Invalid regular expression: \/[\s\S]*\/[a-z]*: /, '') : String(err);
    throw new PythonRegexError(pattern, why.charAt(0).toLowerCase() + why.slice(1), { cause: err });
  }
  // An alternative that matches the empty string reveals the group count without matching anything real.
  const groups = (new RegExp(`${t.source}|`, t.flags).exec('') ?? []).length - 1;
  return { regex, groups };
}
