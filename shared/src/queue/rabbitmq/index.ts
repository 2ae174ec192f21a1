import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import {
  type Broker,
  BrokerUnavailableError,
  type BrokerEvent,
  type ConsumeOptions,
  type DeadLetter,
  type Delivery,
  type DeliveryListener,
  type OutgoingMessage,
  type QueueDepth,
  type QueueSpec,
  type Subscription,
  UnroutableError,
} from '../types';
import { AckBatcher } from './ack-batcher';
import { PrefetchLender } from './prefetch-lender';
import { ReconnectingConnection } from './connection';
import { depthFromQueueInfo, fetchQueueInfo, ManagementApi, managementUrlFor } from './management';
import { declareExchanges, declareFunctionQueues, functionQueuePolicy, legacyArguments, removeStaleTopology, retryQueueFor, topologyNames } from './topology';
import { retryDelays } from '../../function/define';

export interface RabbitMqBrokerOptions {
  url: string;
  /** Prefix of exchange and queue names. */
  prefix: string;
  /** Management API base URL (with credentials) for queue depth; derived from `url` when absent. */
  managementUrl?: string;
  connectTimeoutMs?: number;
  /** One connection attempt is abandoned (socket destroyed) and retried after this long (default 10 s). */
  attemptTimeoutMs?: number;
  clientName?: string;
}

const attemptHeader = 'x-qfn-attempt';
const reasonHeader = 'x-qfn-reason';
const attemptsHeader = 'x-qfn-attempts';
const deadLetteredAtHeader = 'x-qfn-dead-lettered-at';

/**
 * RabbitMQ behind the Broker interface: a topic exchange, a quorum queue per function, publishes
 * confirmed by the broker with any number in flight. Publishes (retries and dead letters included)
 * go on one connection, consumers and their acks on another (opened by the first consume): under a
 * memory or disk alarm RabbitMQ blocks connections that publish, and acks on a blocked connection
 * would never be read, so the queue could not drain and the alarm could not clear.
 *
 * @example
 * const broker = createRabbitMqBroker({ url: 'amqp://guest:guest@127.0.0.1', prefix: 'qfn' });
 * await broker.connect();
 * await broker.publish({ id, type: 'message.published', body });
 */
export function createRabbitMqBroker(options: RabbitMqBrokerOptions): Broker {
  return new RabbitMqBroker(options);
}

class RabbitMqBroker implements Broker {
  readonly kind = 'rabbitmq' as const;
  readonly #names: ReturnType<typeof topologyNames>;
  /** Publishing connection: the confirm channel and declarations. */
  readonly #connection: ReconnectingConnection;
  /** Consuming connection: consumer channels, their acks, scratch channels; never publishes. */
  readonly #consuming: ReconnectingConnection;
  #consumingConnected: Promise<void> | undefined;
  readonly #listeners: ((event: BrokerEvent) => void)[] = [];
  /** Each connection in use, and whether it is up; the broker is connected when all are. */
  readonly #up = new Map<ReconnectingConnection, boolean>();
  readonly #managementUrl: string;
  readonly #provisioned = new Map<string, QueueSpec>();
  /** Arguments kept from a queue an older release declared, per function. */
  readonly #adopted = new Map<string, Record<string, unknown>>();
  #publisher: ConfirmChannel | undefined;
  /** message id → set when the broker returned it as unroutable; checked when its confirm arrives. */
  readonly #returned = new Set<string>();
  /** Pending acks of every consumer channel, sent before the connection closes. */
  readonly #ackBatchers = new Set<AckBatcher>();

  constructor(private readonly options: RabbitMqBrokerOptions) {
    this.#names = topologyNames(options.prefix);
    this.#managementUrl = options.managementUrl ?? managementUrlFor(options.url);
    const connectionOptions = (clientName: string) => ({
      url: options.url,
      ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      ...(options.attemptTimeoutMs !== undefined ? { attemptTimeoutMs: options.attemptTimeoutMs } : {}),
      clientName,
    });
    const clientName = options.clientName ?? options.prefix;
    this.#connection = new ReconnectingConnection(connectionOptions(clientName));
    this.#consuming = new ReconnectingConnection(connectionOptions(`${clientName}.consume`));
    this.#follow(this.#connection);
    this.#follow(this.#consuming);
  }

  on(listener: (event: BrokerEvent) => void): void {
    this.#listeners.push(listener);
  }

  /** One view of both connections: connected when every connection in use is, lost when one is. */
  #follow(connection: ReconnectingConnection): void {
    connection.on((event) => {
      if (event.type === 'connected' || event.type === 'disconnected') {
        const wasUp = this.#allUp();
        this.#up.set(connection, event.type === 'connected');
        const isUp = this.#allUp();
        if (wasUp !== isUp) this.#emit(isUp ? { type: 'connected' } : event);
        return;
      }
      this.#emit(event);
    });
  }

  #allUp(): boolean {
    return this.#up.size > 0 && [...this.#up.values()].every(Boolean);
  }

  #emit(event: BrokerEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  async connect(): Promise<void> {
    await this.#connection.addSetup((connection) => this.#setUpPublisher(connection));
    await this.#connection.connect();
  }

  /** Opens the consuming connection once; later calls wait for the same first connect. */
  #connectConsuming(): Promise<void> {
    this.#consumingConnected ??= this.#consuming.connect().catch((error: unknown) => {
      this.#consumingConnected = undefined;
      throw error;
    });
    return this.#consumingConnected;
  }

  isReady(): boolean {
    return this.#connection.current !== undefined && this.#publisher !== undefined && this.#connection.blockedReason === undefined;
  }

  async #setUpPublisher(connection: ChannelModel): Promise<void> {
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => {});
    channel.on('return', (message: ConsumeMessage) => {
      if (message.properties.messageId) this.#returned.add(String(message.properties.messageId));
    });
    channel.on('close', () => {
      if (this.#publisher !== channel) return;
      this.#publisher = undefined;
      // A channel-level error closed it while the connection lives on: open another.
      const current = this.#connection.current;
      if (current === connection) this.#setUpPublisher(connection).catch(() => {});
    });
    await declareExchanges(channel, this.#names);
    for (const spec of this.#provisioned.values()) await declareFunctionQueues(channel, this.#names, spec, this.#adopted.get(spec.name));
    this.#publisher = channel;
  }

  /**
   * Declares the function's queues so that any declaration change deploys: what may change (the
   * delivery limit) goes in a policy, and bindings and delay queues the declaration no longer has are
   * removed. Needs the management API, as queue depth (and KEDA) do.
   */
  async provision(spec: QueueSpec): Promise<void> {
    const channel = this.#requirePublisher();
    const api = new ManagementApi(this.#managementUrl, this.#vhost());
    const existing = await api.queue(this.#names.queue(spec.name));
    const adopted = legacyArguments(existing?.arguments);
    const { name, policy } = functionQueuePolicy(this.#names, spec);
    await api.putPolicy(name, policy);
    await declareFunctionQueues(channel, this.#names, spec, adopted);
    await removeStaleTopology(channel, this.#names, spec, api);
    this.#adopted.set(spec.name, adopted);
    this.#provisioned.set(spec.name, spec);
  }

  #vhost(): string {
    return decodeURIComponent(new URL(this.options.url).pathname.slice(1)) || '/';
  }

  publish(message: OutgoingMessage): Promise<void> {
    return this.#confirmedPublish(this.#names.eventsExchange, message.type, message.body, {
      messageId: message.id,
      type: message.type,
      // No headers table at all when there are none: amqplib encodes even an empty one.
      ...(message.headers && Object.keys(message.headers).length > 0 ? { headers: message.headers } : {}),
      mandatory: true,
    });
  }

  /** Publishes through the confirm channel and resolves when the broker has the message durably. */
  #confirmedPublish(exchange: string, routingKey: string, body: Buffer, properties: Options.Publish): Promise<void> {
    const channel = this.#requirePublisher();
    const messageId = properties.messageId;
    return new Promise((resolve, reject) => {
      try {
        channel.publish(
          exchange,
          routingKey,
          body,
          { persistent: true, contentType: 'application/json', timestamp: Math.floor(Date.now() / 1000), ...properties },
          (error) => {
            const returned = messageId !== undefined && this.#returned.delete(messageId);
            if (error) reject(new BrokerUnavailableError(`broker did not confirm the message: ${String(error?.message ?? error)}`));
            else if (returned) reject(new UnroutableError(routingKey));
            else resolve();
          },
        );
      } catch (error) {
        reject(new BrokerUnavailableError(`publish failed: ${(error as Error).message}`));
      }
    });
  }

  #requirePublisher(): ConfirmChannel {
    const channel = this.#publisher;
    if (!channel || !this.#connection.current) throw new BrokerUnavailableError('not connected to RabbitMQ');
    return channel;
  }

  async consume(spec: QueueSpec, listener: DeliveryListener, options: ConsumeOptions): Promise<Subscription> {
    if (!this.#provisioned.has(spec.name)) await this.provision(spec);
    let channel: Channel | undefined;
    let consumerTag: string | undefined;
    let stopped = false;
    const queue = this.#names.queue(spec.name);

    let lender: PrefetchLender | undefined;
    const subscribe = async (connection: ChannelModel): Promise<void> => {
      const ch = await connection.createChannel();
      ch.on('error', () => {});
      const acks = new AckBatcher((deliveryTag, allUpTo) => safely(() => ch.ack({ fields: { deliveryTag } } as ConsumeMessage, allUpTo)));
      this.#ackBatchers.add(acks);
      ch.on('close', () => this.#ackBatchers.delete(acks));
      channel = ch;
      const onMessage = (main: boolean) => (message: ConsumeMessage | null) => {
        if (message === null) {
          if (!main) return;
          // The broker cancelled us (queue deleted or moved): subscribe again once it is back.
          consumerTag = undefined;
          if (!stopped) setTimeout(() => subscribe(connection).catch(() => {}), 1_000).unref();
          return;
        }
        acks.track(message.fields.deliveryTag);
        listener(this.#toDelivery(spec, ch, acks, message, channelLender));
      };
      const channelLender = new PrefetchLender(
        Math.max(1, Math.ceil(options.prefetch / 4)),
        options.prefetch * 10,
        async (prefetch) => {
          if (stopped) throw new Error('subscription stopped');
          // basic.qos applies to the consumers started after it, one limit each.
          await ch.prefetch(prefetch);
          return (await ch.consume(queue, onMessage(false))).consumerTag;
        },
        async (tag) => void (await ch.cancel(tag)),
      );
      lender = channelLender;
      await ch.prefetch(options.prefetch);
      const reply = await ch.consume(queue, onMessage(true));
      consumerTag = reply.consumerTag;
    };
    await this.#consuming.addSetup(subscribe);
    await this.#connectConsuming();

    return {
      stop: async () => {
        stopped = true;
        this.#consuming.removeSetup(subscribe);
        lender?.cancelAll();
        if (channel && consumerTag) await channel.cancel(consumerTag).catch(() => {});
        for (const acks of this.#ackBatchers) acks.flush();
      },
    };
  }

  #toDelivery(spec: QueueSpec, channel: Channel, acks: AckBatcher, message: ConsumeMessage, lender: PrefetchLender): Delivery {
    const { deliveryTag } = message.fields;
    const raw = message.properties.headers ?? {};
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(raw)) if (typeof value === 'string') headers[key] = value;
    const published = Number(raw[attemptHeader] ?? 1);
    // Only the runtime's own retries count as attempts: a redelivery after a crash or a lost
    // connection may never have started. The worker processes redeliveries alone and records their
    // starts, so a message that crashes its consumer is still caught (quorum queues count
    // redeliveries in x-delivery-count; classic queues only flag them).
    const redelivered = message.fields.redelivered || Number(raw['x-delivery-count'] ?? 0) > 0;
    const attempt = Number.isFinite(published) && published >= 1 ? published : 1;
    let settled = false;
    const settle = () => {
      if (settled) throw new Error('delivery already settled');
      settled = true;
    };
    const forward = async (exchange: string, routingKey: string, extra: Record<string, unknown>) => {
      // While publishes are blocked this delivery keeps its prefetch slot: lend the channel another.
      const held = this.#connection.blockedReason !== undefined;
      if (held) lender.hold();
      try {
        await this.#confirmedPublish(exchange, routingKey, message.content, {
          messageId: message.properties.messageId,
          type: message.properties.type,
          headers: { ...withoutBrokerHeaders(raw), ...extra },
        });
      } finally {
        if (held) lender.release();
      }
    };

    return {
      body: message.content,
      messageId: message.properties.messageId === undefined ? undefined : String(message.properties.messageId),
      headers,
      attempt,
      redelivered,
      ack: async () => {
        settle();
        acks.ack(deliveryTag);
      },
      retry: async (delayMs, reason) => {
        settle();
        await forward('', retryQueueFor(this.#names, spec, delayMs), { [attemptHeader]: attempt + 1, 'x-qfn-last-error': reason });
        acks.ack(deliveryTag);
      },
      deadLetter: async (reason) => {
        settle();
        await forward(this.#names.deadLetterExchange, spec.name, {
          [reasonHeader]: reason.slice(0, 4_000),
          [attemptsHeader]: attempt,
          [deadLetteredAtHeader]: new Date().toISOString(),
        });
        acks.ack(deliveryTag);
      },
      release: async () => {
        settle();
        safely(() => channel.nack(message, false, true));
        acks.settledElsewhere(deliveryTag);
      },
    };
  }

  async queueDepth(spec: QueueSpec): Promise<QueueDepth> {
    const vhost = this.#vhost();
    const main = await fetchQueueInfo(this.#managementUrl, vhost, this.#names.queue(spec.name));
    let delayed = 0;
    for (const delayMs of retryDelays(spec.retry)) {
      const info = await fetchQueueInfo(this.#managementUrl, vhost, this.#names.retryQueue(spec.name, delayMs));
      delayed += info?.messages ?? 0;
    }
    const deadLetters = await fetchQueueInfo(this.#managementUrl, vhost, this.#names.deadLetterQueue(spec.name));
    return depthFromQueueInfo(main, delayed, deadLetters?.messages ?? 0);
  }

  /** Reads dead letters without removing them: fetched unacked on a scratch channel, whose close requeues them. */
  async listDeadLetters(spec: QueueSpec, limit: number): Promise<DeadLetter[]> {
    return this.#withScratchChannel(async (channel) => {
      const letters: DeadLetter[] = [];
      while (letters.length < limit) {
        const message = await channel.get(this.#names.deadLetterQueue(spec.name), { noAck: false });
        if (!message) break;
        letters.push(toDeadLetter(message));
      }
      return letters;
    });
  }

  async replayDeadLetters(spec: QueueSpec, limit: number): Promise<number> {
    return this.#withScratchChannel(async (channel) => {
      let replayed = 0;
      while (replayed < limit) {
        const message = await channel.get(this.#names.deadLetterQueue(spec.name), { noAck: false });
        if (!message) break;
        await this.#confirmedPublish('', this.#names.queue(spec.name), message.content, {
          messageId: message.properties.messageId,
          type: message.properties.type,
          headers: { ...withoutBrokerHeaders(message.properties.headers ?? {}), [attemptHeader]: 1 },
        });
        channel.ack(message);
        replayed++;
      }
      return replayed;
    });
  }

  async purgeDeadLetters(spec: QueueSpec): Promise<number> {
    return this.#withScratchChannel(async (channel) => {
      const reply = await channel.purgeQueue(this.#names.deadLetterQueue(spec.name));
      return reply.messageCount;
    });
  }

  /** A channel on the consuming connection: its gets and acks must go on while publishes are blocked. */
  async #withScratchChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
    if (!this.#consuming.current) {
      await this.#connectConsuming().catch((error: Error) => {
        throw new BrokerUnavailableError(`not connected to RabbitMQ: ${error.message}`);
      });
    }
    const connection = this.#consuming.current;
    if (!connection) throw new BrokerUnavailableError('not connected to RabbitMQ');
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    try {
      return await work(channel);
    } finally {
      await channel.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    for (const acks of this.#ackBatchers) acks.flush();
    await this.#consuming.close();
    await this.#connection.close();
    this.#publisher = undefined;
  }
}

function withoutBrokerHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (key === 'x-death' || key === 'x-delivery-count' || key.startsWith('x-first-death') || key.startsWith('x-last-death')) continue;
    if (key === reasonHeader || key === attemptsHeader || key === deadLetteredAtHeader) continue;
    kept[key] = value;
  }
  return kept;
}

function toDeadLetter(message: { content: Buffer; fields: { deliveryTag: number }; properties: { messageId?: unknown; headers?: Record<string, unknown> } }): DeadLetter {
  const headers = message.properties.headers ?? {};
  const death = Array.isArray(headers['x-death']) ? (headers['x-death'][0] as Record<string, unknown> | undefined) : undefined;
  const reason = typeof headers[reasonHeader] === 'string' ? (headers[reasonHeader] as string) : `broker: ${String(death?.['reason'] ?? 'unknown')}`;
  const attempts = Number(headers[attemptsHeader] ?? death?.['count'] ?? 0);
  const at = headers[deadLetteredAtHeader];
  return {
    handle: String(message.properties.messageId ?? message.fields.deliveryTag),
    eventId: message.properties.messageId === undefined ? undefined : String(message.properties.messageId),
    reason,
    attempts,
    deadLetteredAt: typeof at === 'string' ? at : undefined,
    body: message.content,
  };
}

/** After the channel is gone the broker has requeued the message: settling it is moot. */
function safely(action: () => void): void {
  try {
    action();
  } catch {
    /* channel closed: the message goes back to the queue and the inbox absorbs the redelivery */
  }
}
