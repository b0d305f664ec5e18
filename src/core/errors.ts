/** One problem found in user input: where it is and what is wrong with it. */
export interface ValidationIssue {
  /** Dotted path of the offending field, e.g. `ParameterRanges.ContinuousParameterRanges[0].MinValue`. */
  readonly path: string;
  /** What was received and what is allowed. */
  readonly message: string;
}

/** Whether a value is a plain object (not null, not a list): the shape every config and history entry must have. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A value as a user wrote it, for error messages: strings quoted, NaN and Infinity as such (JSON would print
 * `null`), BigInts with their `n`, objects as JSON.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined) return 'nothing';
  if (typeof value === 'function' || typeof value === 'symbol') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Misuse of the optimizer API: an unknown suggestion id, a non-finite value, a second report. */
export class OptimizerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OptimizerError';
  }
}

/** An invalid search space. `issues` lists every problem found, not just the first. */
export class SearchSpaceError extends Error {
  readonly issues: readonly ValidationIssue[];
  constructor(issues: readonly ValidationIssue[]) {
    super(
      `Invalid search space (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n'),
    );
    this.name = 'SearchSpaceError';
    this.issues = issues;
  }
}
