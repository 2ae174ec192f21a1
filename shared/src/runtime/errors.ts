/**
 * Thrown by a handler when retrying cannot help (the input itself is wrong):
 * the message goes straight to the dead-letter queue with this reason.
 */
export class PermanentError extends Error {
  override name = 'PermanentError';
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** The reason `ctx.signal` is aborted when a handler ran past its `handlerTimeoutMs`: a retryable failure. */
export class HandlerTimeoutError extends Error {
  override name = 'HandlerTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`the handler did not finish within handlerTimeoutMs (${timeoutMs} ms)`);
  }
}

/** The reason `ctx.signal` is aborted when the replica's shutdown grace period ended: the message goes back to the queue. */
export class ShutdownDeadlineError extends Error {
  override name = 'ShutdownDeadlineError';
  constructor(readonly gracePeriodMs: number) {
    super(`the replica is stopping and its grace period (${gracePeriodMs} ms) ended`);
  }
}

/** A worker was used out of its lifecycle (started twice, or started after it stopped). */
export class WorkerLifecycleError extends Error {
  override name = 'WorkerLifecycleError';
}
