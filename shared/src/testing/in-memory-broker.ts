import { createDelivery } from '../queue/delivery';
import { matchesTopic } from '../messages/topic';
import {
  UnroutableError,
  type Broker,
  type BrokerEvent,
  type BrokerEventListener,
  type ConsumeOptions,
  type DeadLetter,
  type Delivery,
  type DeliveryListener,
  type OutgoingMessage,
  type QueueAdmin,
  type QueueDepth,
  type QueueSpec,
  type Subscription,
} from '../queue/types';

/** A message as a queue holds it. */
interface StoredMessage {
  id: string;
  body: Buffer;
  headers: Record<string, string>;
  attempt: number;
  redelivered: boolean;
}

/** How one delivery was settled, as a test sees it afterwards. */
export type Settled =
  | { queue: string; messageId: string; attempt: number; operation: 'ack' }
  | { queue: string; messageId: string; attempt: number; operation: 'retry'; delayMs: number; reason: string }
  | { queue: string; messageId: string; attempt: number; operation: 'deadLetter'; reason: string }
  | { queue: string; messageId: string; attempt: number; operation: 'release' };

interface Consumer {
  listener: DeliveryListener;
  prefetch: number;
}

class MemoryQueue {
  patterns: readonly string[] = [];
  readonly ready: StoredMessage[] = [];
  inFlight = 0;
  readonly delayed = new Set<NodeJS.Timeout>();
  readonly dead: (DeadLetter & { message: StoredMessage })[] = [];
  consumer: Consumer | undefined;
  pumpScheduled = false;
  constructor(readonly name: string) {}
}

/**
 * A broker in this process: what the runtime needs of RabbitMQ or SQS (the data plane and the queue
 * admin), so workers, the outbox relay and their tests run without a broker. Publishes route by RabbitMQ
 * topic patterns to the queues of the subscribed functions; a consumer holds at most `prefetch`
 * unsettled deliveries; retry redelivers after its delay with one more attempt, release hands a message
 * back at once (marked redelivered, as both real brokers do), dead letters are kept per queue.
 *
 * @example
 * const broker = new InMemoryBroker();
 * await broker.consume(spec, (delivery) => void delivery.ack(), { prefetch: 10 });
 * await broker.publish({ id: 'e1', type: 'text.submitted', body: encodeEnvelope(envelope) });
 */
export class InMemoryBroker implements Broker, QueueAdmin {
  readonly kind = 'memory' as const;
  readonly #queues = new Map<string, MemoryQueue>();
  readonly #listeners = new Set<BrokerEventListener>();
  readonly #settledListeners = new Set<(settled: Settled) => void>();
  #connected = false;
  #closed = false;
  #handles = 0;

  async connect(): Promise<void> {
    this.#assertOpen();
    if (this.#connected) return;
    this.#connected = true;
    this.#emit({ type: 'connected' });
  }

  isReady(): boolean {
    return this.#connected && !this.#closed;
  }

  async provision(spec: QueueSpec): Promise<void> {
    this.#assertOpen();
    this.#queue(spec.name).patterns = [...spec.subscribes];
  }

  async publish(message: OutgoingMessage): Promise<void> {
    this.#assertOpen();
    const targets = [...this.#queues.values()].filter((queue) => queue.patterns.some((pattern) => matchesTopic(pattern, message.type)));
    if (targets.length === 0) throw new UnroutableError(message.type);
    for (const queue of targets) this.#enqueue(queue, { id: message.id, body: message.body, headers: { ...message.headers }, attempt: 1, redelivered: false });
  }

  /**
   * Puts a message straight into a function's queue, as a delivery of the given attempt (a test of what
   * a handler does on its last attempt, or with a redelivered message).
   */
  inject(queueName: string, message: OutgoingMessage, options: { attempt?: number; redelivered?: boolean } = {}): void {
    this.#assertOpen();
    const queue = this.#queues.get(queueName);
    if (!queue) throw new Error(`no queue ${queueName}: provision it or consume from it first`);
    this.#enqueue(queue, {
      id: message.id,
      body: message.body,
      headers: { ...message.headers },
      attempt: options.attempt ?? 1,
      redelivered: options.redelivered ?? false,
    });
  }

  async consume(spec: QueueSpec, listener: DeliveryListener, options: ConsumeOptions): Promise<Subscription> {
    await this.provision(spec);
    const queue = this.#queue(spec.name);
    if (queue.consumer) throw new Error(`queue ${spec.name} already has a consumer in this broker`);
    const consumer: Consumer = { listener, prefetch: Math.max(1, options.prefetch) };
    queue.consumer = consumer;
    this.#schedulePump(queue);
    return {
      stop: async () => {
        if (queue.consumer === consumer) queue.consumer = undefined;
      },
    };
  }

  async queueDepth(spec: QueueSpec): Promise<QueueDepth> {
    const queue = this.#queues.get(spec.name);
    if (!queue) throw new Error(`no queue ${spec.name} on this broker`);
    return { ready: queue.ready.length, inFlight: queue.inFlight, delayed: queue.delayed.size, deadLettered: queue.dead.length };
  }

  async listDeadLetters(spec: QueueSpec, limit: number): Promise<DeadLetter[]> {
    return this.deadLetters(spec.name).slice(0, limit);
  }

  async replayDeadLetters(spec: QueueSpec, limit: number): Promise<number> {
    const queue = this.#queue(spec.name);
    const replayed = queue.dead.splice(0, limit);
    for (const { message } of replayed) this.#enqueue(queue, { ...message, attempt: 1, redelivered: false });
    return replayed.length;
  }

  async purgeDeadLetters(spec: QueueSpec): Promise<number> {
    const queue = this.#queue(spec.name);
    return queue.dead.splice(0).length;
  }

  /** Removes a function's queue with everything in it (pending retries too): the next consumer starts empty. */
  deleteQueue(queueName: string): void {
    const queue = this.#queues.get(queueName);
    if (!queue) return;
    for (const timer of queue.delayed) clearTimeout(timer);
    queue.consumer = undefined;
    this.#queues.delete(queueName);
  }

  /** A queue's dead letters, oldest first. */
  deadLetters(queueName: string): DeadLetter[] {
    return (this.#queues.get(queueName)?.dead ?? []).map(({ message: _message, ...deadLetter }) => deadLetter);
  }

  /** Called after each settlement (ack, retry, dead letter, release) of any delivery; returns the unsubscribe. */
  onSettled(listener: (settled: Settled) => void): () => void {
    this.#settledListeners.add(listener);
    return () => this.#settledListeners.delete(listener);
  }

  on(listener: BrokerEventListener): void {
    this.#listeners.add(listener);
  }

  off(listener: BrokerEventListener): void {
    this.#listeners.delete(listener);
  }

  /** Stops delivering and drops pending retries; deliveries handed out can still be settled. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const queue of this.#queues.values()) {
      queue.consumer = undefined;
      for (const timer of queue.delayed) clearTimeout(timer);
      queue.delayed.clear();
    }
    if (this.#connected) this.#emit({ type: 'disconnected' });
  }

  #queue(name: string): MemoryQueue {
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new MemoryQueue(name);
      this.#queues.set(name, queue);
    }
    return queue;
  }

  #enqueue(queue: MemoryQueue, message: StoredMessage, front = false): void {
    if (front) queue.ready.unshift(message);
    else queue.ready.push(message);
    this.#schedulePump(queue);
  }

  /** Hands out deliveries on the next turn, as a socket read would: a burst of publishes arrives as a burst. */
  #schedulePump(queue: MemoryQueue): void {
    if (queue.pumpScheduled || !queue.consumer) return;
    queue.pumpScheduled = true;
    setImmediate(() => {
      queue.pumpScheduled = false;
      this.#pump(queue);
    });
  }

  #pump(queue: MemoryQueue): void {
    while (!this.#closed && queue.consumer && queue.inFlight < queue.consumer.prefetch && queue.ready.length > 0) {
      const message = queue.ready.shift()!;
      queue.inFlight++;
      queue.consumer.listener(this.#delivery(queue, message));
    }
  }

  #delivery(queue: MemoryQueue, message: StoredMessage): Delivery {
    const settled = (entry: Settled) => {
      for (const listener of this.#settledListeners) listener(entry);
    };
    const base = { queue: queue.name, messageId: message.id, attempt: message.attempt };
    return createDelivery(
      { body: message.body, messageId: message.id, headers: message.headers, attempt: message.attempt, redelivered: message.redelivered },
      {
        ack: async () => settled({ ...base, operation: 'ack' }),
        retry: async (delayMs, reason) => {
          const again = { ...message, attempt: message.attempt + 1, redelivered: false };
          if (!this.#closed) {
            const timer = setTimeout(() => {
              queue.delayed.delete(timer);
              this.#enqueue(queue, again);
            }, delayMs);
            timer.unref();
            queue.delayed.add(timer);
          }
          settled({ ...base, operation: 'retry', delayMs, reason });
        },
        deadLetter: async (reason) => {
          queue.dead.push({
            handle: String(++this.#handles),
            eventId: message.id,
            reason,
            attempts: message.attempt,
            deadLetteredAt: new Date().toISOString(),
            body: message.body,
            message,
          });
          settled({ ...base, operation: 'deadLetter', reason });
        },
        release: async () => {
          this.#enqueue(queue, { ...message, redelivered: true }, true);
          settled({ ...base, operation: 'release' });
        },
      },
      () => {
        queue.inFlight--;
        this.#schedulePump(queue);
      },
    );
  }

  #emit(event: BrokerEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('the in-memory broker is closed');
  }
}
