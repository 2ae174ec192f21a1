/** One entry of a batch call as SQS reports it back: which failed, and whether trying again may help. */
export interface EntryFailure {
  id: string;
  error: Error;
  retryable: boolean;
}

export interface BatcherOptions<T> {
  /** Sends one batch (at most `maxEntries`, ids unique within it) to the queue `key`. */
  send: (key: string, entries: { id: string; value: T }[]) => Promise<{ failed: EntryFailure[] }>;
  /** SQS batch calls take 10 entries. */
  maxEntries?: number;
  /** Budget of one call's payload, with `sizeOf` measuring an entry. */
  maxBytes?: number;
  sizeOf?: (value: T) => number;
  /** How long the first entry waits for company; 0 sends what arrived in the same turn of the event loop. */
  lingerMs?: number;
  /** Further tries of an entry that failed retryably, with a doubling delay from retryDelayMs. */
  retries?: number;
  retryDelayMs?: number;
}

interface Pending<T> {
  value: T;
  tries: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface KeyState<T> {
  pending: Pending<T>[];
  bytes: number;
  scheduled: boolean;
}

/**
 * Collects single operations (send, delete, change visibility) per queue into SQS batch calls; each
 * caller's promise settles with its own entry's outcome, so one failed entry never passes for success.
 *
 * @example
 * const deletes = new Batcher<string>({ lingerMs: 5, send: (queueUrl, entries) => deleteBatch(queueUrl, entries) });
 * await deletes.add(queueUrl, receiptHandle);
 */
export class Batcher<T> {
  readonly #keys = new Map<string, KeyState<T>>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #maxEntries: number;

  constructor(private readonly options: BatcherOptions<T>) {
    this.#maxEntries = options.maxEntries ?? 10;
  }

  add(key: string, value: T): Promise<void> {
    return new Promise((resolve, reject) => this.#enqueue(key, { value, tries: 0, resolve, reject }));
  }

  /** Sends everything pending at once and waits for every call under way. */
  async drain(): Promise<void> {
    for (;;) {
      for (const key of [...this.#keys.keys()]) this.#flush(key);
      if (this.#inFlight.size === 0) return;
      await Promise.allSettled([...this.#inFlight]);
    }
  }

  #enqueue(key: string, item: Pending<T>): void {
    let state = this.#keys.get(key);
    if (!state) {
      state = { pending: [], bytes: 0, scheduled: false };
      this.#keys.set(key, state);
    }
    state.pending.push(item);
    state.bytes += this.#size(item.value);
    const full = state.pending.length >= this.#maxEntries || (this.options.maxBytes !== undefined && state.bytes >= this.options.maxBytes);
    if (full) {
      this.#flush(key);
    } else if (!state.scheduled) {
      state.scheduled = true;
      const flush = () => this.#flush(key);
      const linger = this.options.lingerMs ?? 0;
      if (linger > 0) setTimeout(flush, linger);
      else setImmediate(flush);
    }
  }

  #flush(key: string): void {
    const state = this.#keys.get(key);
    if (!state) return;
    state.scheduled = false;
    while (state.pending.length > 0) {
      const batch = this.#takeBatch(state);
      this.#track(this.#send(key, batch));
    }
    this.#keys.delete(key);
  }

  #takeBatch(state: KeyState<T>): Pending<T>[] {
    const batch: Pending<T>[] = [];
    let bytes = 0;
    while (state.pending.length > 0 && batch.length < this.#maxEntries) {
      const size = this.#size(state.pending[0]!.value);
      if (batch.length > 0 && this.options.maxBytes !== undefined && bytes + size > this.options.maxBytes) break;
      batch.push(state.pending.shift()!);
      bytes += size;
    }
    state.bytes -= bytes;
    return batch;
  }

  async #send(key: string, batch: Pending<T>[]): Promise<void> {
    let failed: EntryFailure[];
    try {
      ({ failed } = await this.options.send(
        key,
        batch.map((item, index) => ({ id: String(index), value: item.value })),
      ));
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    const failures = new Map(failed.map((f) => [f.id, f]));
    batch.forEach((item, index) => {
      const failure = failures.get(String(index));
      if (!failure) {
        item.resolve();
      } else if (failure.retryable && item.tries < (this.options.retries ?? 0)) {
        item.tries++;
        const delay = (this.options.retryDelayMs ?? 50) * 2 ** (item.tries - 1);
        const retry = new Promise<void>((resolve) => setTimeout(resolve, delay)).then(() => this.#enqueue(key, item));
        this.#track(retry);
      } else {
        item.reject(failure.error);
      }
    });
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  #size(value: T): number {
    return this.options.sizeOf ? this.options.sizeOf(value) : 0;
  }
}
