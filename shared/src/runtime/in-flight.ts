/**
 * Counts the messages in flight, and tells when none is left: what a drain waits for.
 *
 * @example
 * const inFlight = new InFlight();
 * inFlight.track(process(batch), batch.length);
 * const drained = await inFlight.whenIdle(30_000); // false: the time ran out first
 */
export class InFlight {
  #count = 0;
  readonly #idleWaiters = new Set<() => void>();

  get count(): number {
    return this.#count;
  }

  /** Counts `messages` as in flight until `work` settles (its rejection is the caller's to handle). */
  track(work: Promise<unknown>, messages = 1): void {
    this.#count += messages;
    const settled = () => {
      this.#count -= messages;
      if (this.#count === 0) for (const resolve of this.#idleWaiters) resolve();
    };
    work.then(settled, settled);
  }

  /** Resolves true once nothing is in flight, or false when `timeoutMs` passes first. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.#count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (idle: boolean) => {
        clearTimeout(timer);
        this.#idleWaiters.delete(onIdle);
        resolve(idle);
      };
      const onIdle = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#idleWaiters.add(onIdle);
    });
  }
}
