/**
 * Counts the messages a subscription may still take: receives reserve slots before they ask SQS, and
 * settling a delivery gives its slot back, so no more than `limit` are ever unsettled.
 */
export class Capacity {
  #free: number;
  #waiters: (() => void)[] = [];
  #closed = false;

  constructor(readonly limit: number) {
    this.#free = limit;
  }

  /** Waits until at least `atLeast` slots are free, then takes up to `atMost`; 0 once closed. */
  async take(atMost: number, atLeast: number): Promise<number> {
    const needed = Math.min(atLeast, this.limit);
    while (!this.#closed && this.#free < needed) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    if (this.#closed) return 0;
    const taken = Math.min(atMost, this.#free);
    this.#free -= taken;
    return taken;
  }

  give(count: number): void {
    if (count <= 0) return;
    this.#free = Math.min(this.limit, this.#free + count);
    this.#wake();
  }

  /** Wakes every waiter with nothing: the subscription is stopping. */
  close(): void {
    this.#closed = true;
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}
