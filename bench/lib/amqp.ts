import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { amqpUrl } from './environment';

export interface QueueControl {
  /** Messages in the queue (ready ones; unacked ones are not counted by RabbitMQ here). */
  count(queue: string): Promise<number>;
  purge(queue: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Exact queue counts and purges over AMQP (the management API's figures lag by seconds).
 *
 * @example
 * const queues = await openQueueControl();
 * await queues.purge('bench-x.store-message');
 */
export async function openQueueControl(): Promise<QueueControl> {
  const connection: ChannelModel = await amqp.connect(amqpUrl);
  const channel: Channel = await connection.createChannel();
  return {
    count: async (queue) => (await channel.checkQueue(queue)).messageCount,
    purge: async (queue) => void (await channel.purgeQueue(queue)),
    close: () => connection.close(),
  };
}
