import amqp, { type Channel } from 'amqplib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { amqpUrl, deleteRabbitTopology } from '../../../../test/support/rabbitmq';
import { uniqueName } from '../../../../test/support/names';
import { waitFor } from '../../../../test/support/wait';
import type { Delivery, QueueSpec } from '../types';
import { createRabbitMqBroker } from './index';

describe('RabbitMQ consumer acks (real broker)', () => {
  const prefix = uniqueName('acks');
  const spec: QueueSpec = {
    name: 'acks',
    subscribes: ['ack.test'],
    retry: { maxAttempts: 3, initialDelayMs: 1000, multiplier: 2, maxDelayMs: 1000 },
    visibilityTimeoutSeconds: 30,
  };
  afterAll(() => deleteRabbitTopology(prefix));

  it('settles every delivery exactly as asked, in any order, with fewer ack frames than messages', async () => {
    const broker = createRabbitMqBroker({ url: amqpUrl, prefix, connectTimeoutMs: 5_000 });
    await broker.connect();
    await broker.provision(spec);
    const total = 300;
    for (let i = 0; i < total; i++) await broker.publish({ id: `m${i}`, type: 'ack.test', body: Buffer.from(String(i)) });

    const acks = vi.spyOn(await channelPrototype(), 'ack');
    const received: Delivery[] = [];
    const subscription = await broker.consume(spec, (delivery) => received.push(delivery), { prefetch: 100 });
    const held = new Set<string>(); // from m200 on, never settled: the broker must hand them back after the close
    const released = new Set<string>(); // released once, acked when redelivered
    const acked = new Set<string>();
    const number = (delivery: Delivery) => Number(delivery.messageId!.slice(1));
    // Settle in shuffled order, a few at a time; allUpTo acks must never cover a held delivery.
    while (acked.size + held.size < total) {
      await waitFor('deliveries', () => received.length > 0 || undefined);
      const batch = received.splice(0).sort(() => Math.random() - 0.5);
      await Promise.all(
        batch.map(async (delivery, i) => {
          await new Promise((resolve) => setTimeout(resolve, i % 7));
          const id = delivery.messageId!;
          if (number(delivery) >= 200 && number(delivery) % 10 === 0) held.add(id);
          else if (number(delivery) % 10 === 5 && !released.has(id)) {
            released.add(id);
            await delivery.release();
          } else {
            acked.add(id);
            await delivery.ack();
          }
        }),
      );
    }
    await subscription.stop();
    const ackFrames = acks.mock.calls.length;
    acks.mockRestore();
    await broker.close();

    expect(acked.size).toBe(total - held.size);
    expect(ackFrames).toBeLessThan(acked.size);
    // Every acked message is gone; exactly the held ones are back in the queue.
    const probe = createRabbitMqBroker({ url: amqpUrl, prefix, connectTimeoutMs: 5_000 });
    await probe.connect();
    const back: string[] = [];
    const drain = await probe.consume(
      spec,
      (delivery) => {
        back.push(delivery.messageId!);
        void delivery.ack();
      },
      { prefetch: 100 },
    );
    await waitFor('the held messages', () => (back.length >= held.size ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await drain.stop();
    await probe.close();
    expect(back.sort()).toEqual([...held].sort());
  });
});

/** amqplib's Channel class is not exported: take the prototype of a channel. */
async function channelPrototype(): Promise<Channel> {
  const connection = await amqp.connect(amqpUrl);
  const channel = await connection.createChannel();
  const prototype = Object.getPrototypeOf(channel) as Channel;
  await connection.close();
  return prototype;
}
