/**
 * Classification of AWS SDK errors and the typed errors the AWS-facing layers throw.
 *
 * Every call sagetune makes to AWS goes through {@link classifyAwsError}: one place decides what is worth a retry
 * (throttling, 5xx, network), what means "not now" (an instance quota), what is the caller's mistake (validation)
 * and what is an expected state (a job that already exists, a key that is missing, a lost race on a conditional
 * write). Step Functions matches Retry/Catch on an error's `name`, so the typed errors set it explicitly.
 */

/** What an AWS error means for the caller. */
export type AwsErrorKind =
  /** The service throttled the request (ThrottlingException, SlowDown, TooManyRequests...): back off and retry. */
  | 'throttling'
  /** A 5xx, a timeout or a network failure: retry. */
  | 'transient'
  /** SageMaker's `ResourceLimitExceeded` (an account quota such as instances of a type): try again later. */
  | 'quota'
  /** The request is invalid (`ValidationException` and other 4xx without a more specific meaning). */
  | 'validation'
  /** The resource already exists (SageMaker `ResourceInUse`). */
  | 'exists'
  /** The resource does not exist (SageMaker `ResourceNotFound`, S3 `NoSuchKey`/`NotFound`). */
  | 'notFound'
  /** A conditional write lost its race (S3 `PreconditionFailed` 412, `ConditionalRequestConflict` 409). */
  | 'conflict'
  /** Access denied, expired credentials and anything not recognised: not retried. */
  | 'other';

const THROTTLING_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'SlowDown',
  'ProvisionedThroughputExceededException',
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
  'TransactionInProgressException',
]);

const TRANSIENT_NAMES = new Set([
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'InternalServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ServiceException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'NetworkingError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

interface SdkErrorLike {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

function asSdkError(error: unknown): SdkErrorLike {
  return typeof error === 'object' && error !== null ? (error as SdkErrorLike) : {};
}

/** The HTTP status of an SDK error, when the service answered. */
export function httpStatusOf(error: unknown): number | undefined {
  return asSdkError(error).$metadata?.httpStatusCode;
}

/** The AWS error code (`ValidationException`, `ResourceInUse`, ...) of an SDK error; `name` in SDK v3. */
export function awsErrorCode(error: unknown): string {
  const e = asSdkError(error);
  return e.name ?? e.code ?? 'Error';
}

/** The service's own message of an SDK error (for a user-facing explanation). */
export function awsErrorMessage(error: unknown): string {
  const message = asSdkError(error).message;
  return message && message.length > 0 ? message : awsErrorCode(error);
}

/** Classifies an error thrown by an AWS SDK v3 client (or by the network under it). */
export function classifyAwsError(error: unknown): AwsErrorKind {
  const e = asSdkError(error);
  const name = e.name ?? '';
  const code = e.code ?? '';
  const status = e.$metadata?.httpStatusCode;
  if (e.$retryable?.throttling || THROTTLING_NAMES.has(name) || status === 429) return 'throttling';
  if (name === 'ResourceLimitExceeded') return 'quota';
  if (name === 'ResourceInUse') return 'exists';
  if (name === 'ResourceNotFound' || name === 'NoSuchKey' || name === 'NotFound' || status === 404) return 'notFound';
  // SageMaker's Describe/StopTrainingJob answer a missing job with "ValidationException: Requested resource not
  // found." (HTTP 400), not the ResourceNotFound its API model declares (aws/aws-sdk#165).
  if (name === 'ValidationException' && /^Requested resource not found/i.test(e.message ?? '')) return 'notFound';
  if (name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || status === 412) return 'conflict';
  if (TRANSIENT_NAMES.has(name) || TRANSIENT_NAMES.has(code) || e.$fault === 'server' || (status !== undefined && status >= 500)) {
    return 'transient';
  }
  if (name === 'ValidationException' || name === 'ValidationError' || name === 'InvalidParameterValue' || name === 'InvalidParameterCombination') {
    return 'validation';
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'ExpiredTokenException' || name === 'UnrecognizedClientException') {
    return 'other';
  }
  if (e.$fault === 'client' && status !== undefined && status >= 400 && status < 500 && status !== 403 && status !== 401) return 'validation';
  return 'other';
}

/** True for the kinds worth retrying after a backoff (throttling and transient failures). */
export function isRetryableAwsError(error: unknown): boolean {
  const kind = classifyAwsError(error);
  return kind === 'throttling' || kind === 'transient';
}

/**
 * An AWS call kept failing with throttling or a transient error after its retries. Nothing is wrong with the
 * request: the caller should leave its state as it is and try again later (the next tick).
 */
export class AwsTransientError extends Error {
  override readonly name = 'AwsTransientError';
  /** The operation that failed, e.g. `SageMaker.CreateTrainingJob`. */
  readonly operation: string;
  readonly attempts: number;
  readonly kind: 'throttling' | 'transient';

  constructor(operation: string, attempts: number, cause: unknown) {
    const kind = classifyAwsError(cause) === 'throttling' ? 'throttling' : 'transient';
    super(`${operation} failed ${attempts} times (${kind}: ${awsErrorCode(cause)}: ${awsErrorMessage(cause)}); retry later`, { cause });
    this.operation = operation;
    this.attempts = attempts;
    this.kind = kind;
  }
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidAccessKeyId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
]);
const PERMISSION_ERRORS = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError', 'NotAuthorized']);

/**
 * The caller cannot use AWS as configured: no or expired credentials, no region, or an IAM policy that does not
 * allow the call. A user's problem, not sagetune's: the message names the operation, AWS's reason and the fix.
 */
export class AwsAccessError extends Error {
  override readonly name = 'AwsAccessError';
  readonly operation: string;

  constructor(operation: string, cause: unknown) {
    const code = awsErrorCode(cause);
    const hint = PERMISSION_ERRORS.has(code)
      ? 'the AWS identity in use needs the IAM permissions listed in the README ("Running on SageMaker")'
      : 'configure AWS credentials (AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and a region (AWS_REGION)';
    super(`${operation} was refused: ${code === 'Error' ? '' : `${code}: `}${awsErrorMessage(cause)}; ${hint}`, { cause });
    this.operation = operation;
  }
}

/** True for errors that mean the caller's credentials, region or permissions are missing or wrong. */
export function isAwsAccessError(error: unknown): boolean {
  const code = awsErrorCode(error);
  return CREDENTIAL_ERRORS.has(code) || PERMISSION_ERRORS.has(code) || /^Region is missing/.test(awsErrorMessage(error));
}
