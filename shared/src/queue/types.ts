import type { RetryPolicy } from '../function/define';

/** An event ready to go on the broker. */
export interface OutgoingMessage {
  /** Event id: the AMQP message-id / SQS `qfn-event-id` attribute; consumers deduplicate on it. */
  id: string;
  /** Event type: the routing key. */
  type: string;
  /** The encoded envelope. */
  body: Buffer;
  /** Propagation headers such as W3C `traceparent` / `tracestate`. */
  headers?: Record<string, string>;
}

/** One received message. Exactly one of ack, retry, deadLetter or release must be called. */
export interface Delivery {
  readonly body: Buffer;
  /** Event id as carried by the broker (may be absent on foreign messages). */
  readonly messageId: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  /** 1 on the first delivery; a broker redelivery (after a crash or a lost connection) does not count on RabbitMQ. */
  readonly attempt: number;
  /**
   * The broker delivered it before and it was not settled: a consumer crashed or lost its connection
   * holding it, maybe because of this very message (RabbitMQ `redelivered` / `x-delivery-count`, SQS
   * `ApproximateReceiveCount > 1`). The worker processes such messages alone.
   */
  readonly redelivered?: boolean;
  /** Done: remove it from the queue. Call only after the handler's transaction committed. */
  ack(): Promise<void>;
  /** Failed: deliver again after `delayMs`, counting one more attempt. */
  retry(delayMs: number, reason: string): Promise<void>;
  /** Give up: move it to the function's dead-letter queue, with the reason and attempt count. */
  deadLetter(reason: string): Promise<void>;
  /** Not processed (shutting down): hand it back at once for another consumer, without counting an attempt. */
  release(): Promise<void>;
}

/** What a broker needs to know about a function to give it a queue. */
export interface QueueSpec {
  /** The function's name; queue names derive from it. */
  name: string;
  /** Event types (topic patterns) routed to the queue. */
  subscribes: readonly string[];
  retry: RetryPolicy;
  /** SQS visibility timeout; RabbitMQ has no equivalent (unacked messages stay with the consumer). */
  visibilityTimeoutSeconds: number;
}

export interface ConsumeOptions {
  /** Unacknowledged messages one process holds at most (RabbitMQ prefetch). */
  prefetch: number;
}

/** Receives deliveries as they arrive; the consumer settles each. */
export type DeliveryListener = (delivery: Delivery) => void;

export interface Subscription {
  /** Stop receiving new messages; deliveries already handed out stay valid until settled. */
  stop(): Promise<void>;
}

export interface QueueDepth {
  /** Waiting to be delivered. */
  ready: number;
  /** Delivered and not yet settled. */
  inFlight: number;
  /** Messages waiting in retry delay, if the broker keeps them apart. */
  delayed: number;
  /** Messages in the function's dead-letter queue (not part of what scales it). */
  deadLettered: number;
}

/** A dead-lettered message as operators see it. */
export interface DeadLetter {
  /** Broker handle for show/replay/purge of this one message. */
  handle: string;
  eventId: string | undefined;
  reason: string;
  attempts: number;
  deadLetteredAt: string | undefined;
  body: Buffer;
}

export type BrokerEvent =
  | { type: 'connected' }
  | { type: 'disconnected'; error?: Error }
  | { type: 'reconnect_failed'; error: Error; retryInMs: number }
  /** The broker stopped taking this process's publishes (RabbitMQ memory or disk alarm) … */
  | { type: 'blocked'; reason: string }
  /** … and takes them again. */
  | { type: 'unblocked' };

export type BrokerEventListener = (event: BrokerEvent) => void;

/**
 * The data plane of a message broker: what one replica of a function needs. RabbitMQ and SQS
 * implement it; function code never sees which one is in use.
 */
export interface Broker {
  readonly kind: 'rabbitmq' | 'sqs' | 'memory';
  /** Opens the one long-lived connection of this process (and keeps it open, reconnecting as needed). */
  connect(): Promise<void>;
  /** True while the broker can accept publishes (connected, and not blocked by a resource alarm). */
  isReady(): boolean;
  /** Sends an event to every function subscribed to its type; resolves once the broker has it durably. */
  publish(message: OutgoingMessage): Promise<void>;
  /**
   * Starts delivering the function's messages to the listener. Survives reconnects. Declares the
   * function's queues first when this broker has not yet (so a replica's first start creates them).
   */
  consume(spec: QueueSpec, listener: DeliveryListener, options: ConsumeOptions): Promise<Subscription>;
  /** Lifecycle notices (logging and telemetry subscribe; the adapter itself logs nothing). */
  on(listener: BrokerEventListener): void;
  /** Stops sending lifecycle notices to a listener given to `on`. */
  off(listener: BrokerEventListener): void;
  close(): Promise<void>;
}

/** Operating a function's queues: provisioning, depth and dead letters (deploy tooling, the local runner, the admin API). */
export interface QueueAdmin {
  readonly kind: 'rabbitmq' | 'sqs' | 'memory';
  /** Creates the function's queue, retry and dead-letter queues and routes, idempotently. */
  provision(spec: QueueSpec): Promise<void>;
  /** The queue length as the KEDA scaler for this broker reads it. */
  queueDepth(spec: QueueSpec): Promise<QueueDepth>;
  /** Dead-lettered messages of a function, oldest first, without removing them. */
  listDeadLetters(spec: QueueSpec, limit: number): Promise<DeadLetter[]>;
  /** Moves dead-lettered messages back to the function's queue, ids kept; returns how many moved. */
  replayDeadLetters(spec: QueueSpec, limit: number): Promise<number>;
  /** Deletes a function's dead-lettered messages; returns how many. */
  purgeDeadLetters(spec: QueueSpec): Promise<number>;
}

/**
 * What the adapters' factories return: one set of connections that serves both the data plane and
 * the queue admin (the admin's calls go over the broker's connections). Hand each part of a program
 * only the half it uses: a replica's worker a `Broker`, tooling a `QueueAdmin`.
 */
export type BrokerWithAdmin = Broker & QueueAdmin;

/** No function subscribes to the event's type: publishing it would lose it. */
export class UnroutableError extends Error {
  override name = 'UnroutableError';
  constructor(readonly eventType: string) {
    super(`no function subscribes to event type ${eventType}`);
  }
}

/** The broker is unreachable or refused the message; nothing was accepted. */
export class BrokerUnavailableError extends Error {
  override name = 'BrokerUnavailableError';
}
