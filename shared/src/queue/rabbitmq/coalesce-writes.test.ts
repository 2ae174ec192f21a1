import amqp from 'amqplib';
import { describe, expect, it } from 'vitest';
import { amqpUrl } from '../../../../test/support/rabbitmq';
import { uniqueName } from '../../../../test/support/names';
import { coalesceSocketWrites } from './coalesce-writes';

describe('coalesceSocketWrites (real RabbitMQ)', () => {
  it('hands a burst of publishes to the socket while it is corked, and they all arrive', async () => {
    const connection = await amqp.connect(amqpUrl);
    const queue = uniqueName('coalesce');
    try {
      expect(coalesceSocketWrites(connection)).toBe(true);
      const socket = (connection as unknown as { connection: { stream: import('node:net').Socket } }).connection.stream;
      const channel = await connection.createConfirmChannel();
      await channel.assertQueue(queue, { exclusive: true });
      let writes = 0;
      let corked = 0;
      const write = socket.write.bind(socket);
      socket.write = ((...args: Parameters<typeof socket.write>) => {
        writes++;
        if (socket.writableCorked > 0) corked++;
        return write(...args);
      }) as typeof socket.write;

      const confirms = Array.from(
        { length: 200 },
        (_, i) =>
          new Promise<void>((resolve, reject) => {
            channel.sendToQueue(queue, Buffer.from(String(i)), {}, (error) => (error ? reject(error) : resolve()));
          }),
      );
      await Promise.all(confirms);

      expect(writes).toBeGreaterThan(0);
      expect(corked).toBe(writes);
      expect((await channel.checkQueue(queue)).messageCount).toBe(200);
    } finally {
      await connection.close();
    }
  });
});
