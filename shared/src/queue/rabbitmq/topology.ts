import type { Channel } from 'amqplib';
import { retryDelays } from '../../function/define';
import type { QueueSpec } from '../types';

/** Names of everything a prefix and a function own on the broker. */
export function topologyNames(prefix: string) {
  return {
    eventsExchange: `${prefix}.events`,
    deadLetterExchange: `${prefix}.dead-letter`,
    queue: (fn: string) => `${prefix}.${fn}`,
    retryQueue: (fn: string, delayMs: number) => `${prefix}.${fn}.retry.${delayMs}ms`,
    deadLetterQueue: (fn: string) => `${prefix}.${fn}.dlq`,
  };
}
export type TopologyNames = ReturnType<typeof topologyNames>;

/**
 * Broker-side delivery limit of the main queue: a message that crashes its consumer this many times
 * (so the runtime never got to retry or dead-letter it) is dead-lettered by RabbitMQ itself.
 */
export function deliveryLimit(spec: QueueSpec): number {
  return Math.max(5, spec.retry.maxAttempts * 2);
}

export async function declareExchanges(channel: Channel, names: TopologyNames): Promise<void> {
  await channel.assertExchange(names.eventsExchange, 'topic', { durable: true });
  await channel.assertExchange(names.deadLetterExchange, 'direct', { durable: true });
}

/**
 * The function's queues: a quorum queue bound to its event types, one delay queue per retry delay
 * (messages expire back into the main queue, so no plugin is needed and no delay blocks another),
 * and a dead-letter queue. Classic queues for delay and dead letters: they have no delivery limit,
 * so listing dead letters never loses one.
 */
export async function declareFunctionQueues(channel: Channel, names: TopologyNames, spec: QueueSpec): Promise<void> {
  const queue = names.queue(spec.name);
  await channel.assertQueue(queue, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-delivery-limit': deliveryLimit(spec),
      'x-dead-letter-exchange': names.deadLetterExchange,
      'x-dead-letter-routing-key': spec.name,
    },
  });
  for (const pattern of spec.subscribes) await channel.bindQueue(queue, names.eventsExchange, pattern);
  for (const delayMs of retryDelays(spec.retry)) {
    await channel.assertQueue(names.retryQueue(spec.name, delayMs), {
      durable: true,
      arguments: { 'x-message-ttl': delayMs, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue },
    });
  }
  const deadLetters = names.deadLetterQueue(spec.name);
  await channel.assertQueue(deadLetters, { durable: true });
  await channel.bindQueue(deadLetters, names.deadLetterExchange, spec.name);
}

/** The retry queue whose delay is the shortest one not below `delayMs`. */
export function retryQueueFor(names: TopologyNames, spec: QueueSpec, delayMs: number): string {
  const delays = retryDelays(spec.retry);
  const chosen = delays.find((d) => d >= delayMs) ?? delays[delays.length - 1] ?? 0;
  return delays.length === 0 ? names.queue(spec.name) : names.retryQueue(spec.name, chosen);
}
