/**
 * Typed errors of the study layer. Every class sets `name` (Step Functions matches Retry/Catch on it, the CLI
 * maps it to an exit code) and carries the `cause` it wraps. A user's mistake (`RequestValidationError`,
 * `RequestFileError`, `StudyRequestMismatchError`, `StudyNotFoundError`, `StudyLockedError`) has a message meant
 * to be printed as is; the others describe the state of a study.
 */
import { showValue } from './text';

/** One problem found in a tuning request. */
export interface RequestIssue {
  /** Dotted path of the offending field, e.g. `HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs`; `(root)` for the whole request. */
  readonly path: string;
  /** What is wrong and what is allowed. */
  readonly message: string;
  /** The value received at `path`, when there was one (absent for a missing field). */
  readonly received?: unknown;
}

/** Base class: every error of the study layer. */
export class StudyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StudyError';
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Formats one issue as `path: message (received: value)`. */
export function formatRequestIssue(issue: RequestIssue): string {
  const received = 'received' in issue && issue.received !== undefined ? ` (received ${showValue(issue.received)})` : '';
  return `${issue.path}: ${issue.message}${received}`;
}

/**
 * An issue without the value received when that value is (or holds) an `Environment` variable's value: those carry
 * secrets, and an issue is printed, logged and returned to callers. A variable's name (a broken name rule) stays.
 */
export function redactIssue(issue: RequestIssue): RequestIssue {
  if (!/(^|\.)Environment(\.|$)/.test(issue.path) || !('received' in issue) || issue.message.startsWith('the name ')) return issue;
  return { path: issue.path, message: `${issue.message} (value not shown: Environment values may be secret)` };
}

/** A tuning request that does not fit the schema. `issues` lists every problem found, not just the first. */
export class RequestValidationError extends StudyError {
  readonly issues: readonly RequestIssue[];
  /** The file the request came from, when known. */
  readonly source?: string;
  constructor(raw: readonly RequestIssue[], options?: { source?: string; cause?: unknown }) {
    const issues = raw.map(redactIssue);
    const where = options?.source ? ` in ${options.source}` : '';
    super(
      `Invalid tuning request${where} (${plural(issues.length, 'problem')}):\n` +
        issues.map((i) => `  - ${formatRequestIssue(i)}`).join('\n'),
      options,
    );
    this.name = 'RequestValidationError';
    this.issues = issues;
    this.source = options?.source;
  }
}

/** A request file that cannot be read or is not JSON. `line` and `column` are 1-based, when known. */
export class RequestFileError extends StudyError {
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
  constructor(path: string, message: string, options?: { line?: number; column?: number; cause?: unknown }) {
    const at = options?.line !== undefined ? `:${options.line}:${options.column ?? 1}` : '';
    super(`${path}${at}: ${message}`, options);
    this.name = 'RequestFileError';
    this.path = path;
    this.line = options?.line;
    this.column = options?.column;
  }
}

/** A conditional write lost a race: the stored study changed since it was read. Retry from a fresh read. */
export class StudyConflictError extends StudyError {
  readonly study: string;
  readonly expectedVersion?: string;
  readonly actualVersion?: string;
  constructor(study: string, expectedVersion: string | undefined, actualVersion: string | undefined, options?: { cause?: unknown }) {
    super(
      expectedVersion === undefined
        ? `Study ${study} already exists (version ${actualVersion ?? 'unknown'}); it was not overwritten`
        : actualVersion === undefined
          ? `Study ${study} was expected at version ${expectedVersion} but no longer exists`
          : `Study ${study} changed while it was being updated (expected version ${expectedVersion}, found ${actualVersion})`,
      options,
    );
    this.name = 'StudyConflictError';
    this.study = study;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}

/** Who holds a study's lock. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  /** ISO-8601 time the lock was taken. */
  readonly acquiredAt: string;
}

/** Another runner drives the study. */
export class StudyLockedError extends StudyError {
  readonly study: string;
  readonly owner?: LockOwner;
  readonly lockPath?: string;
  constructor(study: string, owner: LockOwner | undefined, lockPath?: string, options?: { cause?: unknown }) {
    const who = owner ? ` by process ${owner.pid} on ${owner.host} since ${owner.acquiredAt}` : '';
    const hint = lockPath ? `; if no sagetune process is running that study, delete ${lockPath}` : '';
    super(`Study ${study} is locked${who}: another runner drives it${hint}`, options);
    this.name = 'StudyLockedError';
    this.study = study;
    this.owner = owner;
    this.lockPath = lockPath;
  }
}

/** No study of that name in the store. */
export class StudyNotFoundError extends StudyError {
  readonly study: string;
  constructor(study: string, where?: string, options?: { cause?: unknown }) {
    super(`No study named ${study}${where ? ` in ${where}` : ''}`, options);
    this.name = 'StudyNotFoundError';
    this.study = study;
  }
}

/**
 * A stored study document that cannot be read as a study: not JSON, or JSON of another shape (edited by hand,
 * written by another tool or a newer sagetune). Nothing is overwritten; the message names the file and the problem.
 */
export class CorruptStudyError extends StudyError {
  /** @param recovery how to recover, @default restore it from a copy, or move its folder away to start afresh */
  constructor(where: string, problem: string, options?: { cause?: unknown; recovery?: string }) {
    super(`${where} is not a sagetune study file: ${problem} (${options?.recovery ?? 'restore it from a copy, or move its folder away to start afresh'})`, options);
    this.name = 'CorruptStudyError';
  }
}

/** A study of that name exists with a different request: resuming it would mix two experiments. */
export class StudyRequestMismatchError extends StudyError {
  readonly study: string;
  /** The fields that differ, with the stored and the new value. */
  readonly differences: readonly { path: string; stored: unknown; requested: unknown }[];
  constructor(study: string, differences: readonly { path: string; stored: unknown; requested: unknown }[]) {
    const shown = differences.slice(0, 10).map((d) => `  - ${d.path}: stored ${showValue(d.stored)}, requested ${showValue(d.requested)}`);
    if (differences.length > 10) shown.push(`  - ... and ${differences.length - 10} more`);
    super(
      `A study named ${study} already exists with a different request; resuming it would mix two experiments. ` +
        `Choose another HyperParameterTuningJobName, or run the original request to resume it. Differences:\n${shown.join('\n')}`,
    );
    this.name = 'StudyRequestMismatchError';
    this.study = study;
    this.differences = differences;
  }
}

/** A study ended with status Failed (e.g. its first trials all failed). `reason` is the study's statusReason. */
export class StudyFailedError extends StudyError {
  readonly study: string;
  readonly reason: string;
  constructor(study: string, reason: string, options?: { cause?: unknown }) {
    super(`Study ${study} failed: ${reason}`, options);
    this.name = 'StudyFailedError';
    this.study = study;
    this.reason = reason;
  }
}

/** A warm-start parent that cannot be used (missing, still running, incompatible). */
export class WarmStartError extends StudyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WarmStartError';
  }
}

/**
 * Thrown by a backend's `launch` when one trial cannot be started (a missing script, a rejected job). The tick
 * records the trial as failed with this message (retried when `retryable`), and the study goes on. Any other
 * error thrown by a backend aborts the tick, which is then safe to run again.
 */
export class TrialLaunchError extends StudyError {
  readonly retryable: boolean;
  /**
   * The rejection shows the request itself is wrong (e.g. SageMaker's ValidationException on the study's first
   * launch): the tick fails the study at once with this message instead of spending more trials on it.
   */
  readonly failsStudy: boolean;
  constructor(message: string, options?: { retryable?: boolean; failsStudy?: boolean; cause?: unknown }) {
    super(message, options);
    this.name = 'TrialLaunchError';
    this.retryable = options?.retryable ?? false;
    this.failsStudy = options?.failsStudy ?? false;
  }
}

/**
 * Thrown by a backend's `launch` when the trial cannot be started now but nothing is wrong with it (an instance
 * quota is reached, the service keeps throttling). The tick launches no more trials this tick, fails no trial,
 * and launches this one again at the next tick.
 */
export class TrialLaunchDeferredError extends StudyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrialLaunchDeferredError';
  }
}
