/**
 * Lends a consumer channel extra prefetch while deliveries wait on publishes the broker blocks.
 *
 * Under a memory or disk alarm RabbitMQ blocks publishing connections. A message whose retry or
 * dead letter is being published stays unacknowledged until the publish goes through, so it keeps
 * its prefetch slot; once every slot holds such a message nothing else is delivered and the queue
 * cannot drain, which is what the alarm waits for. Per-consumer prefetch cannot be raised for a
 * consumer that exists, so the lender adds consumers on the same channel, each with `step` slots,
 * while held messages outnumber the slots lent (at most `maxLent`), and cancels them once none is held
 * (their unacknowledged deliveries stay valid after the cancel).
 */
export class PrefetchLender {
  #held = 0;
  #lent = 0;
  readonly #consumerTags: Promise<string | undefined>[] = [];

  constructor(
    private readonly step: number,
    private readonly maxLent: number,
    /** Starts one more consumer with this prefetch; resolves with its tag. */
    private readonly addConsumer: (prefetch: number) => Promise<string>,
    private readonly cancelConsumer: (consumerTag: string) => Promise<void>,
  ) {}

  get lent(): number {
    return this.#lent;
  }

  /** A delivery now waits on a blocked publish. */
  hold(): void {
    this.#held++;
    if (this.#held > this.#lent && this.#lent + this.step <= this.maxLent) {
      this.#lent += this.step;
      this.#consumerTags.push(this.addConsumer(this.step).catch(() => undefined));
    }
  }

  /** Its publish went through (or failed). */
  release(): void {
    this.#held = Math.max(0, this.#held - 1);
    if (this.#held === 0 && this.#lent > 0) this.cancelAll();
  }

  cancelAll(): void {
    this.#lent = 0;
    for (const tag of this.#consumerTags.splice(0)) void tag.then((t) => (t === undefined ? undefined : this.cancelConsumer(t).catch(() => {})));
  }
}
