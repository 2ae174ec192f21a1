import { retryDelayMs, type RetryJitter, type RetryPolicy } from '../function/define';
import { describeError, PermanentError } from './errors';

/**
 * The jitter of a policy that names none. How a retry delay is spread, so that messages which failed together (a dependency was down) do
 * not all come back at the same moment:
 * - `equal` (the default): half the backoff, plus a random part of the other half — never less than half;
 * - `full`: anywhere between 0 and the backoff — the widest spread, some retries come at once;
 * - `none`: exactly the backoff.
 * RabbitMQ rounds a delay up to its nearest delay queue (one per backoff step), so the spread there
 * is in whole steps; SQS takes the delay as it is.
 */
export const defaultRetryJitter: RetryJitter = 'equal';

/** What becomes of a message whose handler failed. */
export type FailureDecision =
  { action: 'retry'; delayMs: number; reason: string } | { action: 'dead-letter'; cause: 'permanent' | 'exhausted'; reason: string };

/** A number in [0, 1), like Math.random (tests inject their own). */
export type Random = () => number;

/** The delay before the attempt after `attempt` (1-based), the backoff spread by the policy's jitter. */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: Random = Math.random): number {
  const backoff = retryDelayMs(policy, attempt);
  const jitter = policy.jitter ?? defaultRetryJitter;
  if (jitter === 'full') return Math.round(random() * backoff);
  if (jitter === 'equal') return Math.round(backoff / 2 + (random() * backoff) / 2);
  return backoff;
}

/**
 * Decides from the error, the attempt that failed and the retry policy: a `PermanentError` is
 * dead-lettered at once, the last allowed attempt is dead-lettered, anything else is retried after a backoff.
 *
 * @example
 * decideFailure(new Error('timeout'), 1, { maxAttempts: 5, initialDelayMs: 1000, multiplier: 2, maxDelayMs: 60000 })
 * // → { action: 'retry', delayMs: 500…1000, reason: 'Error: timeout' }
 */
export function decideFailure(error: unknown, attempt: number, policy: RetryPolicy, random: Random = Math.random): FailureDecision {
  const reason = describeError(error);
  if (error instanceof PermanentError) return { action: 'dead-letter', cause: 'permanent', reason: `permanent failure: ${reason}` };
  if (attempt >= policy.maxAttempts) {
    return { action: 'dead-letter', cause: 'exhausted', reason: `failed ${attempt} of ${policy.maxAttempts} attempts; last error: ${reason}` };
  }
  return { action: 'retry', delayMs: backoffDelayMs(policy, attempt, random), reason };
}
