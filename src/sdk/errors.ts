/**
 * The errors a program using the SDK catches by class. Each says what failed in words meant for a person; when AWS
 * caused it, `requestId` is AWS's request id (for a support case) and `cause` the SDK's error.
 *
 * - {@link NotFoundError}: no such study, stack, state machine or execution;
 * - {@link AccessDeniedError}: the caller's credentials or IAM policy do not allow the call;
 * - {@link RequestInvalidError}: the request is not one sagetune (or the deployed stack) can run: `issues` lists
 *   every problem when known;
 * - {@link ConflictError}: the study exists with another request, is run by someone else, or has ended.
 */
import { awsErrorCode, awsErrorMessage, classifyAwsError, isAwsAccessError } from '../aws/errors';
import type { RequestIssue } from '../study/errors';

/** Base class of the SDK's errors. */
export class SagetuneError extends Error {
  /** AWS's request id, when an AWS call caused the error. */
  readonly requestId?: string;
  constructor(message: string, options: { cause?: unknown; requestId?: string } = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'SagetuneError';
    if (options.requestId) this.requestId = options.requestId;
  }
}

/** No such study, stack, state machine or execution. */
export class NotFoundError extends SagetuneError {
  constructor(message: string, options: { cause?: unknown; requestId?: string } = {}) {
    super(message, options);
    this.name = 'NotFoundError';
  }
}

/** The caller may not make an AWS call the operation needs (credentials, region or IAM policy). */
export class AccessDeniedError extends SagetuneError {
  constructor(message: string, options: { cause?: unknown; requestId?: string } = {}) {
    super(message, options);
    this.name = 'AccessDeniedError';
  }
}

/** The request cannot be run as it is. */
export class RequestInvalidError extends SagetuneError {
  /** Every problem found, when they are known one by one (each: path, message, value received). */
  readonly issues: readonly RequestIssue[];
  constructor(message: string, options: { cause?: unknown; requestId?: string; issues?: readonly RequestIssue[] } = {}) {
    super(message, options);
    this.name = 'RequestInvalidError';
    this.issues = options.issues ?? [];
  }
}

/** The study exists with another request, is driven by someone else, or has ended. */
export class ConflictError extends SagetuneError {
  constructor(message: string, options: { cause?: unknown; requestId?: string } = {}) {
    super(message, options);
    this.name = 'ConflictError';
  }
}

/**
 * The SDK's error for an error of the study layer that is a caller's problem: a request that does not check, a
 * study that is missing, held by another runner or stored with another request. Anything else is returned as it is.
 */
export function fromStudyError(error: unknown): unknown {
  const e = error as { name?: string; message?: string; issues?: readonly RequestIssue[] };
  switch (e?.name) {
    case 'RequestValidationError':
    case 'RequestFileError':
      return new RequestInvalidError(e.message ?? 'invalid request', { cause: error, issues: e.issues ?? [] });
    case 'StudyNotFoundError':
      return new NotFoundError(e.message ?? 'no such study', { cause: error });
    case 'StudyLockedError':
    case 'StudyRequestMismatchError':
      return new ConflictError(e.message ?? 'study conflict', { cause: error });
    case 'AwsAccessError':
      return new AccessDeniedError(e.message ?? 'access denied', { cause: error, ...(requestIdOf(error) ? { requestId: requestIdOf(error) } : {}) });
    default:
      return error;
  }
}

/** AWS's request id of an SDK error, if it has one. */
export function requestIdOf(error: unknown): string | undefined {
  const meta = (error as { $metadata?: { requestId?: string } } | undefined)?.$metadata;
  const own = meta?.requestId;
  if (own) return own;
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return cause && cause !== error ? requestIdOf(cause) : undefined;
}

/**
 * Translates an AWS error of `operation` into the SDK's errors: not found and access denied by class; anything else
 * is returned as it is (throttling that outlived its retries, a service failure).
 */
export function fromAwsError(error: unknown, operation: string, what?: string): unknown {
  if (error instanceof SagetuneError) return error;
  const requestId = requestIdOf(error);
  const inner = (error as { cause?: unknown }).cause ?? error;
  if (isAwsAccessError(error) || isAwsAccessError(inner) || (error as Error).name === 'AwsAccessError') {
    return new AccessDeniedError(`${operation} was refused: ${awsErrorCode(inner)}: ${awsErrorMessage(inner)}`, { cause: error, ...(requestId ? { requestId } : {}) });
  }
  const code = awsErrorCode(error);
  if (classifyAwsError(error) === 'notFound' || /NotFound|DoesNotExist/.test(code) || (code === 'ValidationError' && /does not exist/.test(awsErrorMessage(error)))) {
    return new NotFoundError(`${what ?? operation}: ${awsErrorMessage(error)}`, { cause: error, ...(requestId ? { requestId } : {}) });
  }
  return error;
}
