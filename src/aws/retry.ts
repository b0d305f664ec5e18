/**
 * Retry with exponential backoff and full jitter for AWS calls, on top of the SDK's own retries.
 *
 * The SDK clients already retry a few times within milliseconds to seconds. This layer adds a few slower
 * attempts for throttling and 5xx, and then gives up with an {@link AwsTransientError}: a tick must not sit in a
 * Lambda waiting out a throttled account, it defers the work to the next tick instead.
 */
import { AwsAccessError, AwsTransientError, isAwsAccessError, isRetryableAwsError } from './errors';

/** Options of {@link withAwsRetry}. */
export interface RetryOptions {
  /** Total attempts, the first one included. @default 3 */
  readonly maxAttempts?: number;
  /** Backoff of the first retry, in milliseconds; doubles on each retry (full jitter). @default 500 */
  readonly baseDelayMs?: number;
  /** Cap of one backoff, in milliseconds. @default 8000 */
  readonly maxDelayMs?: number;
  /** Waits the given milliseconds. @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) for the jitter. @default Math.random */
  readonly random?: () => number;
}

export const DEFAULT_RETRY: Required<Pick<RetryOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'>> = {
  maxAttempts: 3,
  baseDelayMs: 500,
  maxDelayMs: 8000,
};

export const timerSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `call`, retrying throttling and transient errors with backoff. Missing or refused credentials and denied
 * permissions become an {@link AwsAccessError} naming `operation`; any other error is rethrown at once, unchanged
 * (the caller classifies it). When the attempts are used up, throws {@link AwsTransientError} naming `operation`,
 * with the last error as its cause.
 */
export async function withAwsRetry<T>(operation: string, call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_RETRY.maxAttempts);
  const base = options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs;
  const cap = options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const sleep = options.sleep ?? timerSleep;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (isAwsAccessError(error)) throw new AwsAccessError(operation, error);
      if (!isRetryableAwsError(error)) throw error;
      if (attempt >= maxAttempts) throw new AwsTransientError(operation, attempt, error);
      await sleep(Math.floor(random() * Math.min(cap, base * 2 ** (attempt - 1))));
    }
  }
}

/**
 * Reads every page of a paginated AWS operation (until a page has no `NextToken`), each page through
 * {@link withAwsRetry}, and returns the items of all pages in order.
 */
export async function allPages<P extends { NextToken?: string }, T>(
  operation: string,
  page: (token: string | undefined) => Promise<P>,
  items: (page: P) => readonly T[] | undefined,
  options: RetryOptions = {},
): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const p = await withAwsRetry(operation, () => page(token), options);
    out.push(...(items(p) ?? []));
    token = p.NextToken;
  } while (token);
  return out;
}

/** Paging members of a SageMaker List* request: the most items a page holds (100), oldest first, from `token` on. */
export function oldestFirstPage(token: string | undefined): { MaxResults: number; SortBy: 'CreationTime'; SortOrder: 'Ascending'; NextToken?: string } {
  return { MaxResults: 100, SortBy: 'CreationTime', SortOrder: 'Ascending', ...(token ? { NextToken: token } : {}) };
}
