import type { ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { BrokerUnavailableError, UnroutableError } from '../types';
import { envelopeContentType } from '../../messages/envelope';
import type { ReconnectingConnection } from './connection';

/**
 * The publishing connection's confirm channel: publishes resolve once the broker has the message
 * durably, any number in flight, and a message returned as unroutable rejects with UnroutableError.
 * The channel is opened on every (re)connect by `setUp`, which also runs `declare` (exchanges and the
 * provisioned queues) on it, and opened again when a channel error closes it.
 */
export class ConfirmPublisher {
  #channel: ConfirmChannel | undefined;
  /** message id → set when the broker returned it as unroutable; checked when its confirm arrives. */
  readonly #returned = new Set<string>();

  constructor(
    private readonly connection: ReconnectingConnection,
    private readonly declare: (channel: ConfirmChannel) => Promise<void>,
  ) {}

  /** Publishing is possible now (connected, the channel open). */
  get isOpen(): boolean {
    return this.#channel !== undefined && this.connection.current !== undefined;
  }

  /** The setup step of the publishing connection. */
  readonly setUp = async (connection: ChannelModel): Promise<void> => {
    const channel = await connection.createConfirmChannel();
    channel.on('error', () => {});
    channel.on('return', (message: ConsumeMessage) => {
      if (message.properties.messageId) this.#returned.add(String(message.properties.messageId));
    });
    channel.on('close', () => {
      if (this.#channel !== channel) return;
      this.#channel = undefined;
      // A channel-level error closed it while the connection lives on: open another.
      if (this.connection.current === connection) this.setUp(connection).catch(() => {});
    });
    await this.declare(channel);
    this.#channel = channel;
  };

  /** The open channel, for declarations. */
  channel(): ConfirmChannel {
    const channel = this.#channel;
    if (!channel || !this.connection.current) throw new BrokerUnavailableError('not connected to RabbitMQ');
    return channel;
  }

  /** Publishes through the confirm channel and resolves when the broker has the message durably. */
  publish(exchange: string, routingKey: string, body: Buffer, properties: Options.Publish): Promise<void> {
    const channel = this.channel();
    const messageId = properties.messageId;
    return new Promise((resolve, reject) => {
      try {
        channel.publish(
          exchange,
          routingKey,
          body,
          { persistent: true, contentType: envelopeContentType, timestamp: Math.floor(Date.now() / 1000), ...properties },
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

  /** The connection is closed: nothing to publish on. */
  forget(): void {
    this.#channel = undefined;
  }
}
