import { sleep } from '@/lambdas/shared/store';

/**
 * Bounded retries of one AWS call with exponential backoff and full jitter (sleep a random
 * time between 0 and min(cap, base·2^attempt)), for the errors IAM and STS return under load.
 * Anything else is thrown at once; when the attempts run out the last error is thrown and
 * SQS redelivers the message later.
 */

export interface RetryOptions {
  /** @default 4 */
  readonly attempts?: number;
  /** @default 100 */
  readonly baseMs?: number;
  /** @default 2000 */
  readonly capMs?: number;
  /** Injected by tests. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Injected by tests. @default Math.random */
  readonly random?: () => number;
}

const TRANSIENT_ERRORS = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ServiceFailure',
  'InternalFailure',
  'ConcurrentModification',
  'ConcurrentModificationException',
  // IAM: the entity is being changed by another request; it becomes modifiable again shortly.
  'EntityTemporarilyUnmodifiable',
]);

/** Whether an error from IAM or STS is worth retrying (throttling, 5xx, a concurrent edit). */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return TRANSIENT_ERRORS.has(error.name) || (status !== undefined && status >= 500);
}

/** Runs `call`, retrying transient errors as described above. */
export async function withRetries<T>(call: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 4;
  const pause = options.sleep ?? sleep;
  const random = options.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt + 1 >= attempts || !isTransient(error)) throw error;
      const ceiling = Math.min(options.capMs ?? 2000, (options.baseMs ?? 100) * 2 ** attempt);
      await pause(random() * ceiling);
    }
  }
}
