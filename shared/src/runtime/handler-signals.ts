import { HandlerTimeoutError } from './errors';

/**
 * Gives each handler call its own `AbortSignal`, aborted when the call runs past `timeoutMs` or when
 * `abortAll` is called (the shutdown grace period ended). An aborted call rejects with the signal's
 * reason at once, even if the handler ignores the signal (it may go on in the background; its
 * transaction rolls back once its connection is free).
 *
 * @example
 * const signals = new HandlerSignals(5_000);
 * await signals.run((signal) => handler(event, { ...ctx, signal }));
 * signals.abortAll(new ShutdownDeadlineError(30_000));
 */
export class HandlerSignals {
  readonly #timeoutMs: number | undefined;
  readonly #running = new Set<AbortController>();
  #abortedWith: unknown;
  #aborted = false;

  constructor(timeoutMs?: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** True once `abortAll` was called: every call since rejects at once. */
  get aborted(): boolean {
    return this.#aborted;
  }

  async run<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    if (this.#aborted) controller.abort(this.#abortedWith);
    const { signal } = controller;
    this.#running.add(controller);
    const timeoutMs = this.#timeoutMs;
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => controller.abort(new HandlerTimeoutError(timeoutMs)), timeoutMs);
    try {
      return await new Promise<T>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        try {
          work(signal).then(resolve, reject);
        } catch (error) {
          reject(error);
        }
      });
    } finally {
      clearTimeout(timer);
      this.#running.delete(controller);
    }
  }

  /** Aborts the signals of the calls running now and of every later one. */
  abortAll(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#abortedWith = reason;
    for (const controller of this.#running) controller.abort(reason);
  }
}
