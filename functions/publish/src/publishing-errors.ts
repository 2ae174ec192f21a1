import type { z } from 'zod';
import { ApiError } from './errors';

// Answers both publishing routes give (POST /message/publish and POST /events/{type}).

/** A resource alarm clears when consumers have drained queues or disk is freed: seconds, not milliseconds. */
const blockedRetryAfterSeconds = 5;

/** 503: the broker refuses publishes under a memory or disk alarm; answered at once instead of waiting it out. */
export function brokerBlocked(reason: string): ApiError {
  const message = `the broker refuses publishes for now (${reason}); nothing was published: retry later`;
  return new ApiError(503, 'broker_blocked', message, { headers: { 'retry-after': String(blockedRetryAfterSeconds) } });
}

export function badIdempotencyKey(error: z.ZodError): ApiError {
  return new ApiError(400, 'validation_failed', 'bad Idempotency-Key header', {
    issues: [{ path: 'header.Idempotency-Key', message: error.issues[0]!.message }],
  });
}

export const idempotencyInProgress = () => new ApiError(409, 'idempotency_in_progress', 'a request with this Idempotency-Key is still being published');
export const idempotencyKeyReused = () => new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different body');

export function unroutable(message: string): ApiError {
  return new ApiError(422, 'unroutable', message, { issues: [{ path: 'type', message: 'no subscriber' }] });
}
