import { HandlerTimeoutError } from './errors';

/**
 * One handler call's abort state. Its `signal` is made on first use: most handlers never read it,
 * and an AbortController with a listener costs more than the rest of a message's bookkeeping.
 */
export class HandlerCall {
  #controller: AbortController | undefined;
  #reason: unknown;
  #aborted = false;
  readonly #onAbort: (reason: unknown) => void;

  constructor(onAbort: (reason: unknown) => void) {
    this.#onAbort = onAbort;
  }

  /** Aborted when the call ran past its timeout or the shutdown grace period ended; `reason` says which. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    this.#onAbort(reason);
  }
}

/**
 * Gives each handler call its own `AbortSignal`, aborted when the call runs past `timeoutMs` or when
 * `abortAll` is called (the shutdown grace period ended). An aborted call rejects with the signal's
 * reason at once, even if the handler ignores the signal (it may go on in the background; its
 * transaction rolls back once its connection is free).
 *
 * @example
 * const signals = new HandlerSignals(5_000);
 * await signals.run((call) => handler(event, { ...ctx, signal: call.signal }));
 * signals.abortAll(new ShutdownDeadlineError(30_000));
 */
export class HandlerSignals {
  readonly #timeoutMs: number | undefined;
  readonly #running = new Set<HandlerCall>();
  #abortedWith: unknown;
  #aborted = false;

  constructor(timeoutMs?: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** True once `abortAll` was called: every call since rejects at once. */
  get aborted(): boolean {
    return this.#aborted;
  }

  run<T>(work: (call: HandlerCall) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.#running.delete(call);
      };
      const call = new HandlerCall((reason) => {
        done();
        reject(reason);
      });
      if (this.#aborted) return call.abort(this.#abortedWith);
      this.#running.add(call);
      const timeoutMs = this.#timeoutMs;
      if (timeoutMs !== undefined) timer = setTimeout(() => call.abort(new HandlerTimeoutError(timeoutMs)), timeoutMs);
      let result: Promise<T>;
      try {
        result = work(call);
      } catch (error) {
        done();
        return reject(error);
      }
      result.then(
        (value) => {
          done();
          resolve(value);
        },
        (error: unknown) => {
          done();
          reject(error);
        },
      );
    });
  }

  /** Aborts the signals of the calls running now and of every later one. */
  abortAll(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#abortedWith = reason;
    for (const call of [...this.#running]) call.abort(reason);
  }
}
