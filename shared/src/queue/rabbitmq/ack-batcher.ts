/** Sends one `basic.ack` on the channel (and must not throw: a closed channel has requeued its deliveries). */
export type SendAck = (deliveryTag: number, allUpTo: boolean) => void;

type State = 'pending' | 'acked' | 'done';

/**
 * Acknowledges a consumer channel's deliveries with as few `basic.ack` frames as possible: the acks
 * asked for within one turn of the event loop are sent together at its end, as a single
 * `ack(tag, allUpTo)` when every earlier delivery on the channel is settled too, and one by one for
 * those behind a delivery still being processed (so an ack is never held back longer than that turn,
 * and a slow message never holds up the acks, and so the prefetch window, of the others).
 *
 * Deliveries must be `track`ed in the order the channel delivered them (ascending tags). Any other
 * settlement (nack, reject) goes straight to the channel; tell the batcher with `settledElsewhere`.
 *
 * @example
 * const acks = new AckBatcher((tag, allUpTo) => channel.ack({ fields: { deliveryTag: tag } } as ConsumeMessage, allUpTo));
 * channel.consume(queue, (message) => { acks.track(message.fields.deliveryTag); handle(message).then(() => acks.ack(message)); });
 */
export class AckBatcher {
  /** Delivery tags not yet known to be settled at the broker, oldest first, and what happened to each. */
  readonly #tags: number[] = [];
  readonly #states = new Map<number, State>();
  #head = 0;
  #scheduled = false;
  #acksToSend = 0;

  constructor(private readonly send: SendAck) {}

  track(deliveryTag: number): void {
    this.#tags.push(deliveryTag);
    this.#states.set(deliveryTag, 'pending');
  }

  /** Acks the delivery by the end of this event loop turn. */
  ack(deliveryTag: number): void {
    if (this.#states.get(deliveryTag) !== 'pending') return;
    this.#states.set(deliveryTag, 'acked');
    this.#acksToSend++;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** The delivery was nacked or rejected directly on the channel. */
  settledElsewhere(deliveryTag: number): void {
    if (this.#states.has(deliveryTag)) this.#states.set(deliveryTag, 'done');
  }

  /** Sends the acks asked for so far now (before a channel or connection is closed). */
  flush(): void {
    this.#scheduled = false;
    if (this.#acksToSend === 0) return;
    // The settled prefix: one ack with allUpTo for the newest acked tag in it covers all of it.
    let coverUpTo: number | undefined;
    while (this.#head < this.#tags.length) {
      const tag = this.#tags[this.#head]!;
      const state = this.#states.get(tag);
      if (state === 'pending') break;
      if (state === 'acked') {
        coverUpTo = tag;
        this.#acksToSend--;
      }
      this.#states.delete(tag);
      this.#head++;
    }
    if (coverUpTo !== undefined) this.send(coverUpTo, true);
    // Acks behind a delivery still being processed go one by one.
    for (let i = this.#head; this.#acksToSend > 0 && i < this.#tags.length; i++) {
      const tag = this.#tags[i]!;
      if (this.#states.get(tag) !== 'acked') continue;
      this.send(tag, false);
      this.#states.set(tag, 'done');
      this.#acksToSend--;
    }
    this.#compact();
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#tags.length) {
      this.#tags.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
