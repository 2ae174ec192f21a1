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
  readonly #channels = new Map<string, Promise<Channel>>();
  #closed = false;

  constructor(private readonly url: string) {}

  look(trigger: { queueName: string; activation: number }) {
    return async () => {
      const channel = await this.#openChannel(trigger.queueName);
      try {
        const { messageCount } = await channel.checkQueue(trigger.queueName);
        return rabbitmqAmqpMetric(messageCount, trigger);
      } catch (error) {
        this.#channels.delete(trigger.queueName);
        throw error;
      }
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const connection = this.#connection;
    this.#connection = undefined;
    this.#channels.clear();
    await connection?.then((c) => c.close()).catch(() => {});
  }

  #openChannel(queueName: string): Promise<Channel> {
    if (this.#closed) return Promise.reject(new Error('AMQP scaler closed'));
    let channel = this.#channels.get(queueName);
    if (!channel) {
      channel = this.#openConnection()
        .then((connection) => connection.createChannel())
        .then((opened) => {
          opened.on('error', () => {});
          opened.on('close', () => {
            if (this.#channels.get(queueName) === channel) this.#channels.delete(queueName);
          });
          return opened;
        });
      channel.catch(() => this.#channels.delete(queueName));
      this.#channels.set(queueName, channel);
    }
    return channel;
  }

  #openConnection(): Promise<ChannelModel> {
    this.#connection ??= amqp
      .connect(this.url, { clientProperties: { connection_name: 'qfn-local-scaler' }, timeout: 5_000 })
      .then((connection) => {
        connection.on('error', () => {});
        connection.on('close', () => {
          this.#connection = undefined;
          this.#channels.clear();
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
