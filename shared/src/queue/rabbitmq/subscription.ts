import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { createDelivery, type Settlement } from '../delivery';
import type { ConsumeOptions, Delivery, DeliveryListener, QueueSpec, Subscription } from '../types';
import { AckBatcher } from './ack-batcher';
import type { ReconnectingConnection } from './connection';
import { deadLetterHeaders, forwardedProperties, fromAmqpMessage, retryHeaders } from './message';
import { PrefetchLender } from './prefetch-lender';
import type { ConfirmPublisher } from './publisher';
import { retryQueueFor, type TopologyNames } from './topology';

/** What consumers share: their connection, the publisher their retries and dead letters go through, and their pending acks. */
export interface ConsumerContext {
  names: TopologyNames;
  /** The consuming connection: consumer channels and their acks; never publishes. */
  consuming: ReconnectingConnection;
  publisher: ConfirmPublisher;
  /** True while the broker blocks the publishing connection (memory or disk alarm). */
  publishesBlocked: () => boolean;
  /** Pending acks of every consumer channel, sent before the connection closes. */
  ackBatchers: Set<AckBatcher>;
}

/**
 * Consumes a function's queue on its own channel of the consuming connection, subscribing again on
 * every reconnect and after the broker cancels the consumer; acks are batched per channel.
 */
export async function subscribe(context: ConsumerContext, spec: QueueSpec, listener: DeliveryListener, options: ConsumeOptions): Promise<Subscription> {
  let channel: Channel | undefined;
  let consumerTag: string | undefined;
  let stopped = false;
  let lender: PrefetchLender | undefined;
  const queue = context.names.queue(spec.name);

  const setUp = async (connection: ChannelModel): Promise<void> => {
    const ch = await connection.createChannel();
    ch.on('error', () => {});
    const acks = new AckBatcher((deliveryTag, allUpTo) => safely(() => ch.ack({ fields: { deliveryTag } } as ConsumeMessage, allUpTo)));
    context.ackBatchers.add(acks);
    ch.on('close', () => context.ackBatchers.delete(acks));
    channel = ch;
    const onMessage = (main: boolean) => (message: ConsumeMessage | null) => {
      if (message === null) {
        if (!main) return;
        // The broker cancelled us (queue deleted or moved): subscribe again once it is back.
        consumerTag = undefined;
        if (!stopped) setTimeout(() => setUp(connection).catch(() => {}), 1_000).unref();
        return;
      }
      acks.track(message.fields.deliveryTag);
      listener(toDelivery(context, spec, ch, acks, message, channelLender));
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
  await context.consuming.addSetup(setUp);

  return {
    stop: async () => {
      stopped = true;
      context.consuming.removeSetup(setUp);
      lender?.cancelAll();
      if (channel && consumerTag) await channel.cancel(consumerTag).catch(() => {});
      for (const acks of context.ackBatchers) acks.flush();
    },
  };
}

function toDelivery(context: ConsumerContext, spec: QueueSpec, channel: Channel, acks: AckBatcher, message: ConsumeMessage, lender: PrefetchLender): Delivery {
  const delivered = fromAmqpMessage(message);
  return createDelivery(delivered, new AmqpSettlement(context, spec, channel, acks, message, delivered.attempt, lender));
}

/** How one delivery is settled on RabbitMQ (a class: one per message, where closures would be five). */
class AmqpSettlement implements Settlement {
  constructor(
    private readonly context: ConsumerContext,
    private readonly spec: QueueSpec,
    private readonly channel: Channel,
    private readonly acks: AckBatcher,
    private readonly message: ConsumeMessage,
    private readonly attempt: number,
    private readonly lender: PrefetchLender,
  ) {}

  async ack(): Promise<void> {
    this.acks.ack(this.message.fields.deliveryTag);
  }

  async retry(delayMs: number, reason: string): Promise<void> {
    await this.#forward('', retryQueueFor(this.context.names, this.spec, delayMs), retryHeaders(this.attempt, reason));
    this.acks.ack(this.message.fields.deliveryTag);
  }

  async deadLetter(reason: string): Promise<void> {
    await this.#forward(this.context.names.deadLetterExchange, this.spec.name, deadLetterHeaders(reason, this.attempt));
    this.acks.ack(this.message.fields.deliveryTag);
  }

  async release(): Promise<void> {
    safely(() => this.channel.nack(this.message, false, true));
    this.acks.settledElsewhere(this.message.fields.deliveryTag);
  }

  async #forward(exchange: string, routingKey: string, extra: Record<string, unknown>): Promise<void> {
    // While publishes are blocked this delivery keeps its prefetch slot: lend the channel another.
    const held = this.context.publishesBlocked();
    if (held) this.lender.hold();
    try {
      await this.context.publisher.publish(exchange, routingKey, this.message.content, forwardedProperties(this.message, extra));
    } finally {
      if (held) this.lender.release();
    }
  }
}

/** After the channel is gone the broker has requeued the message: settling it is moot. */
function safely(action: () => void): void {
  try {
    action();
  } catch {
    /* channel closed: the message goes back to the queue and the inbox absorbs the redelivery */
  }
}
