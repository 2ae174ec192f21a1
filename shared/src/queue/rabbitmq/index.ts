import type { Channel } from 'amqplib';
import {
  type BrokerEventListener,
  BrokerUnavailableError,
  type BrokerWithAdmin,
  type ConsumeOptions,
  type DeadLetter,
  type DeliveryListener,
  type OutgoingMessage,
  type QueueDepth,
  type QueueSpec,
  type Subscription,
} from '../types';
import type { AckBatcher } from './ack-batcher';
import { ReconnectingConnection } from './connection';
import { RabbitMqDeadLetters } from './dead-letters';
import { functionQueueDepth } from './depth';
import { ManagementApi, managementUrlFor } from './management';
import { eventProperties } from './message';
import { RabbitMqProvisioner } from './provision';
import { ConfirmPublisher } from './publisher';
import { subscribe, type ConsumerContext } from './subscription';
import { topologyNames, type TopologyNames } from './topology';

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

/**
 * RabbitMQ behind the Broker and QueueAdmin interfaces: a topic exchange, a quorum queue per
 * function, publishes confirmed by the broker with any number in flight. Publishes (retries and dead
 * letters included) go on one connection, consumers and their acks on another (opened by the first
 * consume): under a memory or disk alarm RabbitMQ blocks connections that publish, and acks on a
 * blocked connection would never be read, so the queue could not drain and the alarm could not clear.
 *
 * @example
 * const broker = createRabbitMqBroker({ url: 'amqp://guest:guest@127.0.0.1', prefix: 'qfn' });
 * await broker.connect();
 * await broker.publish({ id, type: 'message.published', body });
 */
export function createRabbitMqBroker(options: RabbitMqBrokerOptions): BrokerWithAdmin {
  return new RabbitMqBroker(options);
}

class RabbitMqBroker implements BrokerWithAdmin {
  readonly kind = 'rabbitmq' as const;
  readonly #names: TopologyNames;
  /** Publishing connection: the confirm channel and declarations. */
  readonly #connection: ReconnectingConnection;
  /** Consuming connection: consumer channels, their acks, scratch channels; never publishes. */
  readonly #consuming: ReconnectingConnection;
  #consumingConnected: Promise<void> | undefined;
  readonly #listeners = new Set<BrokerEventListener>();
  /** Each connection in use, and whether it is up; the broker is connected when all are. */
  readonly #up = new Map<ReconnectingConnection, boolean>();
  readonly #api: ManagementApi;
  readonly #provisioner: RabbitMqProvisioner;
  readonly #publisher: ConfirmPublisher;
  readonly #deadLetters: RabbitMqDeadLetters;
  readonly #ackBatchers = new Set<AckBatcher>();
  readonly #consumers: ConsumerContext;

  constructor(options: RabbitMqBrokerOptions) {
    this.#names = topologyNames(options.prefix);
    this.#api = new ManagementApi(options.managementUrl ?? managementUrlFor(options.url), vhostOf(options.url));
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
    this.#provisioner = new RabbitMqProvisioner(this.#names, this.#api);
    this.#publisher = new ConfirmPublisher(this.#connection, (channel) => this.#provisioner.declareAll(channel));
    this.#deadLetters = new RabbitMqDeadLetters(this.#names, this.#publisher, (work) => this.#withScratchChannel(work));
    this.#consumers = {
      names: this.#names,
      consuming: this.#consuming,
      publisher: this.#publisher,
      publishesBlocked: () => this.#connection.blockedReason !== undefined,
      ackBatchers: this.#ackBatchers,
    };
  }

  on(listener: BrokerEventListener): void {
    this.#listeners.add(listener);
  }

  off(listener: BrokerEventListener): void {
    this.#listeners.delete(listener);
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

  #emit(event: Parameters<BrokerEventListener>[0]): void {
    for (const listener of [...this.#listeners]) listener(event);
  }

  async connect(): Promise<void> {
    await this.#connection.addSetup(this.#publisher.setUp);
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
    return this.#publisher.isOpen && this.#connection.blockedReason === undefined;
  }

  async provision(spec: QueueSpec): Promise<void> {
    await this.#provisioner.provision(this.#publisher.channel(), spec);
  }

  publish(message: OutgoingMessage): Promise<void> {
    return this.#publisher.publish(this.#names.eventsExchange, message.type, message.body, eventProperties(message));
  }

  async consume(spec: QueueSpec, listener: DeliveryListener, options: ConsumeOptions): Promise<Subscription> {
    if (!this.#provisioner.has(spec.name)) await this.provision(spec);
    const subscription = await subscribe(this.#consumers, spec, listener, options);
    await this.#connectConsuming();
    return subscription;
  }

  queueDepth(spec: QueueSpec): Promise<QueueDepth> {
    return functionQueueDepth(this.#api, this.#names, spec);
  }

  listDeadLetters(spec: QueueSpec, limit: number): Promise<DeadLetter[]> {
    return this.#deadLetters.list(spec, limit);
  }

  replayDeadLetters(spec: QueueSpec, limit: number): Promise<number> {
    return this.#deadLetters.replay(spec, limit);
  }

  purgeDeadLetters(spec: QueueSpec): Promise<number> {
    return this.#deadLetters.purge(spec);
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
    this.#publisher.forget();
  }
}

function vhostOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1)) || '/';
}
