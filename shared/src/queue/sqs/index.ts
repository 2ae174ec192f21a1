import { QueueDoesNotExist } from '@aws-sdk/client-sqs';
import type { CommonConfig } from '../../config/index';
import {
  type BrokerEventListener,
  type BrokerWithAdmin,
  BrokerUnavailableError,
  type ConsumeOptions,
  type DeadLetter,
  type DeliveryListener,
  type OutgoingMessage,
  type QueueDepth,
  type QueueSpec,
  type Subscription,
  UnroutableError,
} from '../types';
import { DeadLetterQueue } from './dead-letters';
import { sqsQueueDepth } from './depth';
import { toSqsMessage } from './message';
import { sqsQueueNames, type SqsQueueNames } from './names';
import { SqsOperations } from './operations';
import { defaultQueueSettings, deleteInstallationQueues, ensureFunctionQueues, findQueueUrl, type FunctionQueues, type QueueSettings } from './provision';
import { RouteTable } from './routes';
import { listQueuesProbe, SqsSession, type SqsClientOptions } from './session';
import { SqsSubscription } from './subscription';

export { maxReceiveCount } from './provision';
export { sqsQueueNames } from './names';

export interface SqsBrokerOptions {
  /** First part of every queue name (QUEUE_PREFIX). */
  prefix: string;
  /** Last part of every queue name (SQS_QUEUE_SUFFIX), e.g. an environment. */
  suffix?: string;
  /** AWS region; the SDK's chain (AWS_REGION, profile) when absent. */
  region?: string;
  /** An emulator or a VPC endpoint (SQS_ENDPOINT). */
  endpoint?: string;
  /** Static credentials; the SDK's default chain (environment, profile, IRSA, instance role) when absent. */
  credentials?: SqsClientOptions['credentials'];
  /** Long-poll wait of receives, 0–20 s (default 20). Tests use 1 so idle loops come back fast. */
  waitTimeSeconds?: number;
  /** Share of the visibility timeout after which the heartbeat extends it (default 0.5). */
  heartbeatFraction?: number;
  /** How long the publisher trusts its table of which queue takes which event type (default 15 s). */
  routeCacheTtlMs?: number;
  /** How long connect() keeps trying (default 30 s). */
  connectTimeoutMs?: number;
  /** How long an ack waits to share a DeleteMessageBatch call (default 5 ms). */
  ackLingerMs?: number;
  /**
   * How long close() lets receives under way come back before cutting them short (default: the
   * long-poll wait + 5 s). A receive cut short can still be handed messages by SQS, which then stay
   * hidden for their visibility timeout, so only a stalled connection should meet this limit.
   */
  closeTimeoutMs?: number;
  queueSettings?: Partial<QueueSettings>;
}

/**
 * SQS behind the Broker and QueueAdmin interfaces: one client per process, a standard queue and a dead-letter queue
 * per function (`<prefix>-<fn>[-<suffix>]`, `…-dlq`), events routed to every queue whose subscription
 * tags match their type.
 *
 * @example
 * const broker = createSqsBroker({ prefix: 'qfn', region: 'eu-west-1' });
 * await broker.connect();
 * await broker.provision(queueSpecOf(storeMessage));
 * await broker.publish({ id, type: 'message.published', body });
 */
export function createSqsBroker(options: SqsBrokerOptions): BrokerWithAdmin {
  return new SqsBroker(options);
}

/** The SQS broker the environment describes (BROKER=sqs): AWS_REGION, SQS_ENDPOINT, QUEUE_PREFIX, SQS_QUEUE_SUFFIX. */
export function createSqsBrokerFromEnv(config: CommonConfig): BrokerWithAdmin {
  return createSqsBroker({
    prefix: config.QUEUE_PREFIX,
    waitTimeSeconds: config.SQS_WAIT_TIME_SECONDS,
    ...(config.SQS_QUEUE_SUFFIX ? { suffix: config.SQS_QUEUE_SUFFIX } : {}),
    ...(config.AWS_REGION ? { region: config.AWS_REGION } : {}),
    ...(config.SQS_ENDPOINT ? { endpoint: config.SQS_ENDPOINT } : {}),
  });
}

/** Deletes every queue a prefix (and suffix) owns, e.g. after a test; returns how many. */
export async function deleteSqsQueues(options: Pick<SqsBrokerOptions, 'prefix' | 'suffix' | 'region' | 'endpoint' | 'credentials'>): Promise<number> {
  const names = sqsQueueNames(options.prefix, options.suffix);
  const session = new SqsSession({ client: clientOptions(options, 0), probe: listQueuesProbe(names.listPrefix) });
  try {
    return await deleteInstallationQueues(session, names);
  } finally {
    session.close();
  }
}

function clientOptions(options: Pick<SqsBrokerOptions, 'region' | 'endpoint' | 'credentials'>, waitTimeSeconds: number): SqsClientOptions {
  return {
    waitTimeSeconds,
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
}

class SqsBroker implements BrokerWithAdmin {
  readonly kind = 'sqs' as const;
  readonly #names: SqsQueueNames;
  readonly #session: SqsSession;
  readonly #operations: SqsOperations;
  readonly #routes: RouteTable;
  readonly #settings: QueueSettings;
  readonly #waitTimeSeconds: number;
  /** Function name → its queues, once provisioned or looked up. */
  readonly #queues = new Map<string, Promise<FunctionQueues>>();
  readonly #subscriptions = new Set<SqsSubscription>();
  #closed = false;

  constructor(private readonly options: SqsBrokerOptions) {
    this.#names = sqsQueueNames(options.prefix, options.suffix);
    this.#waitTimeSeconds = options.waitTimeSeconds ?? 20;
    if (!Number.isInteger(this.#waitTimeSeconds) || this.#waitTimeSeconds < 0 || this.#waitTimeSeconds > 20) {
      throw new Error(`waitTimeSeconds must be a whole number of seconds from 0 to 20, got ${this.#waitTimeSeconds}`);
    }
    this.#session = new SqsSession({ client: clientOptions(options, this.#waitTimeSeconds), probe: listQueuesProbe(this.#names.listPrefix) });
    this.#operations = new SqsOperations(this.#session, { deleteLingerMs: options.ackLingerMs ?? 5 });
    this.#routes = new RouteTable(this.#session, this.#names, { ttlMs: options.routeCacheTtlMs ?? 15_000 });
    this.#settings = { ...defaultQueueSettings, ...options.queueSettings };
  }

  on(listener: BrokerEventListener): void {
    this.#session.on(listener);
  }

  off(listener: BrokerEventListener): void {
    this.#session.off(listener);
  }

  async connect(): Promise<void> {
    await this.#session.connect(this.options.connectTimeoutMs ?? 30_000);
  }

  isReady(): boolean {
    return this.#session.isUp;
  }

  async provision(spec: QueueSpec): Promise<void> {
    if (spec.name.endsWith('-dlq')) throw new Error(`function ${spec.name}: names ending in -dlq are kept for dead-letter queues on SQS`);
    const provisioning = ensureFunctionQueues(this.#session, this.#names, spec, this.#settings);
    this.#queues.set(spec.name, provisioning);
    try {
      const queues = await provisioning;
      this.#routes.remember({ queueUrl: queues.queueUrl, fn: spec.name, patterns: spec.subscribes });
    } catch (error) {
      if (this.#queues.get(spec.name) === provisioning) this.#queues.delete(spec.name);
      throw error;
    }
  }

  async publish(message: OutgoingMessage): Promise<void> {
    let queueUrls: string[];
    try {
      queueUrls = await this.#routes.queuesFor(message.type);
    } catch (error) {
      throw new BrokerUnavailableError(`could not read SQS routes: ${(error as Error).message}`);
    }
    if (queueUrls.length === 0) throw new UnroutableError(message.type);
    const sqsMessage = toSqsMessage(message);
    const outcomes = await Promise.allSettled(queueUrls.map((url) => this.#operations.send(url, sqsMessage)));
    const failures = outcomes.flatMap((outcome, i) => (outcome.status === 'rejected' ? [{ url: queueUrls[i]!, error: outcome.reason as Error }] : []));
    if (failures.length === 0) return;
    for (const { url, error } of failures) if (error instanceof QueueDoesNotExist) this.#routes.forget(url);
    const accepted = queueUrls.length - failures.length;
    throw new BrokerUnavailableError(
      `SQS accepted the event on ${accepted} of ${queueUrls.length} queues (${failures.map((f) => f.error.message).join('; ')}); publish it again — consumers deduplicate on its id`,
    );
  }

  async consume(spec: QueueSpec, listener: DeliveryListener, options: ConsumeOptions): Promise<Subscription> {
    if (!this.#queues.has(spec.name)) await this.provision(spec);
    const queues = await this.#queues.get(spec.name)!;
    const subscription = new SqsSubscription(this.#session, this.#operations, spec, queues, listener, {
      prefetch: Math.max(1, options.prefetch),
      waitTimeSeconds: this.#waitTimeSeconds,
      heartbeatFraction: this.options.heartbeatFraction ?? 0.5,
    });
    this.#subscriptions.add(subscription);
    subscription.start();
    return subscription;
  }

  /** What KEDA's aws-sqs-queue scaler reads: visible, in flight (received, unsettled or waiting to retry), delayed. */
  async queueDepth(spec: QueueSpec): Promise<QueueDepth> {
    const queues = await this.#lookUp(spec);
    if (!queues) return { ready: 0, inFlight: 0, delayed: 0, deadLettered: 0 };
    return sqsQueueDepth(this.#session, queues);
  }

  async listDeadLetters(spec: QueueSpec, limit: number): Promise<DeadLetter[]> {
    const dlq = await this.#deadLetterQueue(spec);
    return dlq ? dlq.list(limit) : [];
  }

  async replayDeadLetters(spec: QueueSpec, limit: number): Promise<number> {
    const dlq = await this.#deadLetterQueue(spec);
    return dlq ? dlq.replay(limit) : 0;
  }

  async purgeDeadLetters(spec: QueueSpec): Promise<number> {
    const dlq = await this.#deadLetterQueue(spec);
    return dlq ? dlq.purge() : 0;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const subscriptions = [...this.#subscriptions];
    for (const subscription of subscriptions) await subscription.stop();
    const finished = Promise.all(subscriptions.map((s) => s.finished()));
    const limitMs = this.options.closeTimeoutMs ?? (this.#waitTimeSeconds + 5) * 1000;
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, limitMs).unref());
    await Promise.race([finished, timeout]);
    for (const subscription of subscriptions) subscription.abort();
    await finished;
    // Whatever is still unsettled will not be: another replica may take it now.
    await Promise.all(subscriptions.map((s) => s.abandonUnsettled()));
    await this.#operations.drain();
    this.#session.close();
  }

  async #deadLetterQueue(spec: QueueSpec): Promise<DeadLetterQueue | undefined> {
    const queues = await this.#lookUp(spec);
    return queues && new DeadLetterQueue(this.#session, this.#operations, queues, Math.min(1, this.#waitTimeSeconds));
  }

  /** The function's queues without creating them: undefined when they do not exist. */
  async #lookUp(spec: QueueSpec): Promise<FunctionQueues | undefined> {
    const known = this.#queues.get(spec.name);
    if (known) return known;
    const [queueUrl, deadLetterQueueUrl] = await Promise.all([
      findQueueUrl(this.#session, this.#names.queue(spec.name)),
      findQueueUrl(this.#session, this.#names.deadLetterQueue(spec.name)),
    ]);
    if (!queueUrl || !deadLetterQueueUrl) return undefined;
    const queues = { queueUrl, deadLetterQueueUrl };
    this.#queues.set(spec.name, Promise.resolve(queues));
    return queues;
  }
}
