import { isDatabaseUnavailable } from '../db/errors';

/** Returned by `DatabaseWait.run` when it gave up because the worker is stopping. */
export const gaveUp = Symbol('gave up');

export interface DatabaseWaitOptions {
  /** True once the worker stops: then the wait ends and `run` returns `gaveUp`. */
  stopping: () => boolean;
  /** Called before each pause, with the error and the pause (to log and count it). */
  onUnavailable?: (error: unknown, retryInMs: number) => void;
  /** First pause; doubled up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Whether an error means "the database is away" (default: SQLSTATE class 08, connection codes…). */
  isUnavailable?: (error: unknown) => boolean;
}

/**
 * Runs database work; while the database is unreachable or refusing connections, waits with
 * backoff (250 ms doubling to 5 s) and runs it again. Other errors are thrown. Once the worker
 * stops, a wait ends at once (`wakeAll`) and `run` returns `gaveUp`.
 *
 * @example
 * const outcome = await wait.run(() => db.transaction(...));
 * if (outcome === gaveUp) for (const d of deliveries) release(d);
 */
export class DatabaseWait {
  readonly #options: DatabaseWaitOptions;
  readonly #pauses = new Set<() => void>();

  constructor(options: DatabaseWaitOptions) {
    this.#options = options;
  }

  /** `onUnavailable` here replaces the one of the options for this call. */
  async run<T>(work: () => Promise<T>, onUnavailable = this.#options.onUnavailable): Promise<T | typeof gaveUp> {
    const { stopping, initialDelayMs = 250, maxDelayMs = 5_000, isUnavailable = isDatabaseUnavailable } = this.#options;
    for (let delayMs = initialDelayMs; ; delayMs = Math.min(delayMs * 2, maxDelayMs)) {
      try {
        return await work();
      } catch (error) {
        if (!isUnavailable(error)) throw error;
        if (stopping()) return gaveUp;
        onUnavailable?.(error, delayMs);
        await this.#pause(delayMs);
      }
    }
  }

  /** Ends every pause now (the worker stops). */
  wakeAll(): void {
    for (const wake of this.#pauses) wake();
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#pauses.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#pauses.add(wake);
    });
  }
}
