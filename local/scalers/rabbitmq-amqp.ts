import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { rabbitmqAmqpMetric } from '../autoscaler/scalers';

/**
 * KEDA's rabbitmq scaler over AMQP: a passive queue declare (`checkQueue`), which answers with the ready
 * count at once, where the management API's figures wait for the next statistics collection. One
 * connection for every trigger; a failed declare (the broker closes the channel on a missing queue) or a
 * lost connection is an error for that look, and the next look opens a new one.
 *
 * @example
 * const amqpScaler = new AmqpQueueScaler(process.env.AMQP_URL!);
 * const look = amqpScaler.look({ queueName: 'qfn.store-message', activation: 0 });
 * await look(); // { value: 3, active: true }
 * await amqpScaler.close();
 */
export class AmqpQueueScaler {
  #connection: Promise<ChannelModel> | undefined;
  #channel: Promise<Channel> | undefined;
  #closed = false;

  constructor(private readonly url: string) {}

  look(trigger: { queueName: string; activation: number }) {
    return async () => {
      const channel = await this.#openChannel();
      try {
        const { messageCount } = await channel.checkQueue(trigger.queueName);
        return rabbitmqAmqpMetric(messageCount, trigger);
      } catch (error) {
        this.#channel = undefined;
        throw error;
      }
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const connection = this.#connection;
    this.#connection = undefined;
    this.#channel = undefined;
    await connection?.then((c) => c.close()).catch(() => {});
  }

  #openChannel(): Promise<Channel> {
    if (this.#closed) return Promise.reject(new Error('AMQP scaler closed'));
    this.#channel ??= this.#openConnection()
      .then((connection) => connection.createChannel())
      .then((channel) => {
        channel.on('error', () => {});
        channel.on('close', () => (this.#channel = undefined));
        return channel;
      })
      .catch((error: unknown) => {
        this.#channel = undefined;
        throw error;
      });
    return this.#channel;
  }

  #openConnection(): Promise<ChannelModel> {
    this.#connection ??= amqp
      .connect(this.url, { clientProperties: { connection_name: 'qfn-local-scaler' }, timeout: 5_000 })
      .then((connection) => {
        connection.on('error', () => {});
        connection.on('close', () => {
          this.#connection = undefined;
          this.#channel = undefined;
        });
        return connection;
      })
      .catch((error: unknown) => {
        this.#connection = undefined;
        throw error;
      });
    return this.#connection;
  }
}
