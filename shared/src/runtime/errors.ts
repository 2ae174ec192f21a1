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
