/** One problem found in user input: where it is and what is wrong with it. */
export interface ValidationIssue {
  /** Dotted path of the offending field, e.g. `ParameterRanges.ContinuousParameterRanges[0].MinValue`. */
  readonly path: string;
  /** What was received and what is allowed. */
  readonly message: string;
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
