import { setMaxListeners } from 'node:events';
import { ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import type { Delivery, DeliveryListener, QueueSpec, Subscription } from '../types';
import { createDelivery } from '../delivery';
import { Capacity } from './capacity';
import { fromSqsMessage, toDeadLetterMessage } from './message';
import type { SqsOperations } from './operations';
import type { FunctionQueues } from './provision';
import type { SqsSession } from './session';

export interface ReceiveOptions {
  /** Unsettled messages at most (the function's concurrency). */
  prefetch: number;
  /** Long-poll wait of one receive, 0–20 s. */
  waitTimeSeconds: number;
  /** Share of the visibility timeout after which an unsettled message's timeout is extended. */
  heartbeatFraction: number;
}

/** SQS hands out at most 10 messages per receive. */
const maxPerReceive = 10;

/**
 * Receives a function's messages: enough long-polling loops to keep `prefetch` messages in flight,
 * never more; a heartbeat extends the visibility timeout of messages still being worked on.
 *
 * `stop()` returns at once. A receive already waiting at SQS is left to finish rather than aborted:
 * SQS (and the emulator) can still hand messages to a long poll whose client went away, and those
 * would stay hidden for the visibility timeout. Whatever it brings is handed back at once.
 * `abort()` cuts those receives short, for a connection that stalled.
 */
export class SqsSubscription implements Subscription {
  /** One share of the prefetch per receive loop; a delivery's slot goes back to its loop's share. */
  readonly #shares: Capacity[] = [];
  readonly #abort = new AbortController();
  /** Receipt handle → the delivery, while it is unsettled. */
  readonly #unsettled = new Map<string, Delivery>();
  readonly #loops: Promise<void>[] = [];
  #stopped = false;

  constructor(
    private readonly session: SqsSession,
    private readonly operations: SqsOperations,
    private readonly spec: QueueSpec,
    private readonly queues: FunctionQueues,
    private readonly listener: DeliveryListener,
    private readonly options: ReceiveOptions,
  ) {}

  start(): void {
    const loops = Math.max(1, Math.ceil(this.options.prefetch / maxPerReceive));
    // Every loop's pending receive (and its wait between receives) listens on the one abort signal.
    setMaxListeners(2 * loops + 10, this.#abort.signal);
    for (let i = 0; i < loops; i++) {
      const share = new Capacity(Math.floor(this.options.prefetch / loops) + (i < this.options.prefetch % loops ? 1 : 0));
      this.#shares.push(share);
      this.#loops.push(this.#receiveLoop(share));
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const share of this.#shares) share.close();
  }

  /** Resolves when every receive under way has come back. */
  async finished(): Promise<void> {
    await Promise.all(this.#loops);
  }

  /**
   * Hands back every message still unsettled (visible again at once), for when the process goes away
   * with handlers that did not finish in its grace period: another replica takes them without waiting
   * out the visibility timeout. A handler that still commits later is absorbed by the inbox.
   */
  async abandonUnsettled(): Promise<void> {
    await Promise.allSettled([...this.#unsettled.values()].map((delivery) => delivery.release()));
  }

  /** Cuts the receives still waiting at SQS short (the process is going away). */
  abort(): void {
    void this.stop();
    this.#abort.abort();
  }

  async #receiveLoop(share: Capacity): Promise<void> {
    // Ask again once half the share is free, so receives come back with several messages.
    const lowWater = Math.max(1, Math.floor(share.limit / 2));
    let backoffMs = 0;
    while (!this.#stopped) {
      const wanted = await share.take(maxPerReceive, lowWater);
      if (wanted === 0) break;
      let messages: Message[];
      try {
        messages = await this.#receive(wanted);
        backoffMs = 0;
      } catch (error) {
        share.give(wanted);
        if (this.#abort.signal.aborted || this.session.isClosed) break;
        // Unreachable or queue missing: the session reports it; wait and ask again.
        backoffMs = Math.min(Math.max(200, backoffMs * 2), 5_000);
        await this.#pause(backoffMs);
        continue;
      }
      share.give(wanted - messages.length);
      for (const message of messages) {
        if (this.#stopped) this.#handBack(message, share);
        else this.listener(this.#toDelivery(message, share));
      }
    }
  }

  #receive(count: number): Promise<Message[]> {
    return this.session
      .call((c) =>
        c.send(
          new ReceiveMessageCommand({
            QueueUrl: this.queues.queueUrl,
            MaxNumberOfMessages: count,
            WaitTimeSeconds: this.options.waitTimeSeconds,
            VisibilityTimeout: this.spec.visibilityTimeoutSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: this.#abort.signal },
        ),
      )
      .then((reply) => reply.Messages ?? []);
  }

  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.#abort.signal;
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Received after stop: visible again at once for another consumer. */
  #handBack(message: Message, share: Capacity): void {
    share.give(1);
    this.operations.changeVisibility(this.queues.queueUrl, message.ReceiptHandle!, 0).catch(() => {
      /* it reappears when its visibility timeout ends */
    });
  }

  #toDelivery(message: Message, share: Capacity): Delivery {
    const decoded = fromSqsMessage(message);
    const receiptHandle = message.ReceiptHandle!;
    const { queueUrl, deadLetterQueueUrl } = this.queues;
    const stopHeartbeat = this.#heartbeat(receiptHandle);
    const delivery = createDelivery(
      { body: decoded.body, messageId: decoded.eventId, headers: decoded.headers, attempt: decoded.receiveCount, redelivered: decoded.receiveCount > 1 },
      {
        ack: () => this.operations.delete(queueUrl, receiptHandle),
        // The receive count grows when it comes back: that is the next attempt.
        retry: (delayMs) => this.operations.changeVisibility(queueUrl, receiptHandle, delayMs / 1000),
        deadLetter: async (reason) => {
          const letter = toDeadLetterMessage(message, { reason, attempts: decoded.receiveCount, fn: this.spec.name });
          await this.operations.send(deadLetterQueueUrl, letter);
          await this.operations.delete(queueUrl, receiptHandle);
        },
        release: () => this.operations.changeVisibility(queueUrl, receiptHandle, 0),
      },
      () => {
        stopHeartbeat();
        share.give(1);
        this.#unsettled.delete(receiptHandle);
      },
    );
    this.#unsettled.set(receiptHandle, delivery);
    return delivery;
  }

  /** Extends the message's visibility every `heartbeatFraction` of the timeout; returns the stop switch. */
  #heartbeat(receiptHandle: string): () => void {
    const timeoutSeconds = this.spec.visibilityTimeoutSeconds;
    if (timeoutSeconds <= 0) return () => {};
    const everyMs = Math.max(100, timeoutSeconds * 1000 * this.options.heartbeatFraction);
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const beat = () => {
      this.operations.changeVisibility(this.queues.queueUrl, receiptHandle, timeoutSeconds).then(
        () => {
          if (!stopped) schedule();
        },
        () => {
          /* handle expired or past SQS's 12-hour limit: the message will be delivered again */
        },
      );
    };
    const schedule = () => {
      timer = setTimeout(beat, everyMs);
      timer.unref();
    };
    schedule();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }
}
