/**
 * How the CLI reports errors. A user's mistake (bad request, missing file, unknown study, bad option) is one
 * clear message on stderr and exit code 2; an unexpected internal error is exit code 1 with its message, and its
 * stack only with `--debug` or `SAGETUNE_DEBUG=1`.
 */

/** Exit codes of the `sagetune` command. */
export const EXIT = {
  /** Success (for `run`: the study ended Completed or was left resumable on request). */
  ok: 0,
  /** An internal error, or a study that ended Failed. */
  failure: 1,
  /** A user's mistake: bad arguments, request, input file or study name. */
  usage: 2,
  /** Interrupted by Ctrl-C (128 + SIGINT), as shells report it. */
  interrupted: 130,
  /** Stopped by SIGTERM (128 + 15), as a service manager or `kill` expects. */
  terminated: 143,
} as const;

/** A mistake of the user that the CLI itself detects (bad option value, bad `ask` input). Exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Error names (set by the study, core and backend layers) that describe a user's mistake. Matched by name, not
 * class, so that errors from any layer (and any copy of a module) map the same way.
 */
const USER_ERROR_NAMES = new Set([
  'UsageError',
  'RequestValidationError',
  'RequestFileError',
  'StudyNotFoundError',
  'CorruptStudyError',
  'StudyLockedError',
  'StudyRequestMismatchError',
  'SearchSpaceError',
  'WarmStartError',
  'LocalCommandError',
  'MetricDefinitionError',
  'PythonRegexError',
  // AWS credentials, region or IAM permissions missing (src/aws/errors.ts).
  'AwsAccessError',
  // The SDK's (src/sdk/errors.ts).
  'NotFoundError',
  'AccessDeniedError',
  'RequestInvalidError',
  'ConflictError',
]);

/**
 * Whether a thrown value is an Error. Duck-typed as well: errors made in another realm (Node's own, seen from a
 * vm context such as a test runner's) fail `instanceof Error`.
 */
function isError(err: unknown): err is Error {
  return err instanceof Error || (typeof err === 'object' && err !== null && typeof (err as Error).message === 'string' && typeof (err as Error).name === 'string');
}

/** Whether an error is a user's mistake (exit code 2). */
export function isUserError(err: unknown): boolean {
  return isError(err) && USER_ERROR_NAMES.has(err.name);
}

/** The message to print for an error, and the exit code. */
export function describeError(err: unknown, debug: boolean): { message: string; exitCode: number } {
  if (!isError(err)) return { message: `sagetune: ${String(err)}`, exitCode: EXIT.failure };
  if (isUserError(err)) return { message: `sagetune: ${err.message}`, exitCode: EXIT.usage };
  if (err.name === 'StudyFailedError') return { message: `sagetune: ${err.message}`, exitCode: EXIT.failure };
  const detail = debug && err.stack ? `\n${err.stack}` : '\n(run with --debug or SAGETUNE_DEBUG=1 for the stack trace)';
  return { message: `sagetune: internal error: ${err.message}${detail}`, exitCode: EXIT.failure };
}
