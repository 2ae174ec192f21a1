/** What the worker does next with the deliveries collected so far. */
export type CollectorStep<T> =
  /** Start this batch now. */
  | { take: T[] }
  /** A partial batch lingers for more: look again in this many milliseconds. */
  | { lingerMs: number }
  /** Nothing to start: nothing is waiting, or a partial batch waits for the running batch to end. */
  | undefined;

export interface BatchCollectorOptions {
  /** Largest batch; a full one starts at once. */
  batchSize: number;
  /** How long a partial batch may wait for more when no batch is running (0: it starts at once). */
  lingerMs: number;
  /** Milliseconds from a monotonic clock (tests inject their own). */
  now?: () => number;
}

/**
 * Collects deliveries into batches: a full batch starts at once; a partial one starts only when no
 * batch is running, after it has waited `lingerMs` for more. So under load each transaction takes a
 * full batch, and at a moderate rate the deliveries that arrive during one transaction make up the
 * next one instead of a transaction each.
 *
 * @example
 * const collector = new BatchCollector<Delivery>({ batchSize: 50, lingerMs: 20 });
 * collector.add(delivery);
 * const step = collector.next(activeBatches); // { take } | { lingerMs } | undefined
 */
export class BatchCollector<T> {
  readonly #waiting: T[] = [];
  readonly #batchSize: number;
  readonly #lingerMs: number;
  readonly #now: () => number;
  /** When the oldest of the waiting items arrived (or the previous batch was taken). */
  #oldestAt = 0;

  constructor(options: BatchCollectorOptions) {
    this.#batchSize = options.batchSize;
    this.#lingerMs = options.lingerMs;
    this.#now = options.now ?? (() => performance.now());
  }

  get size(): number {
    return this.#waiting.length;
  }

  add(item: T): void {
    if (this.#waiting.length === 0) this.#oldestAt = this.#now();
    this.#waiting.push(item);
  }

  /** The next step, given how many batches are running now. */
  next(activeBatches: number): CollectorStep<T> {
    if (this.#waiting.length === 0) return undefined;
    if (this.#waiting.length < this.#batchSize) {
      if (activeBatches > 0) return undefined;
      const lingerLeft = this.#lingerMs - (this.#now() - this.#oldestAt);
      if (lingerLeft > 0) return { lingerMs: lingerLeft };
    }
    const take = this.#waiting.splice(0, this.#batchSize);
    if (this.#waiting.length > 0) this.#oldestAt = this.#now();
    return { take };
  }

  /** Removes and returns everything waiting (the worker hands it back when it stops). */
  drain(): T[] {
    return this.#waiting.splice(0);
  }
}
