import type { Channel } from 'amqplib';
import { retryDelays } from '../../function/define';
import { functionQueueNames } from '../names';
import type { QueueSpec } from '../types';
import type { ManagementApi } from './management';

/** Names of everything a prefix and a function own on the broker. */
export function topologyNames(prefix: string) {
  const { queue, deadLetterQueue } = functionQueueNames('rabbitmq', prefix);
  return {
    eventsExchange: `${prefix}.events`,
    deadLetterExchange: `${prefix}.dead-letter`,
    queue,
    retryQueue: (fn: string, delayMs: number) => `${queue(fn)}.retry.${delayMs}ms`,
    deadLetterQueue,
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
 *
 * Every queue argument is fixed by the queue's name (a redeclaration with another value fails with
 * PRECONDITION_FAILED); what a declaration may change, the delivery limit, is set by a policy
 * (`functionQueuePolicy`). `adopted` carries arguments of a queue declared by an older release, so
 * redeclaring it stays equivalent.
 */
export async function declareFunctionQueues(channel: Channel, names: TopologyNames, spec: QueueSpec, adopted: Record<string, unknown> = {}): Promise<void> {
  const queue = names.queue(spec.name);
  await channel.assertQueue(queue, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': names.deadLetterExchange,
      'x-dead-letter-routing-key': spec.name,
      ...adopted,
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

/** Arguments older releases set on a main queue that the current one sets by policy: kept when redeclaring. */
export function legacyArguments(existing: Record<string, unknown> | undefined): Record<string, unknown> {
  const limit = existing?.['x-delivery-limit'];
  return limit === undefined ? {} : { 'x-delivery-limit': limit };
}

/**
 * The policy that carries the main queue's delivery limit, so a changed `retry.maxAttempts` applies on
 * the next deploy. (A queue that still has the argument from an older release gets the lower of the two.)
 */
export function functionQueuePolicy(names: TopologyNames, spec: QueueSpec) {
  const queue = names.queue(spec.name);
  return {
    name: `${queue}.qfn`,
    policy: {
      pattern: `^${escapeRegExp(queue)}$`,
      definition: { 'delivery-limit': deliveryLimit(spec) },
      // Above an operator's catch-all policies (priority 0): only one policy applies to a queue.
      priority: 10,
      'apply-to': 'queues' as const,
    },
  };
}

/**
 * Brings what a changed declaration leaves behind in line: bindings of event types no longer
 * subscribed are removed, and delay queues of delays no longer used are deleted once empty (their
 * messages still expire back into the main queue; a later provision removes them).
 */
export async function removeStaleTopology(
  channel: Channel,
  names: TopologyNames,
  spec: QueueSpec,
  api: ManagementApi,
): Promise<{ unbound: string[]; deletedDelayQueues: string[] }> {
  const queue = names.queue(spec.name);
  const unbound: string[] = [];
  for (const key of await api.bindingKeys(names.eventsExchange, queue)) {
    if (spec.subscribes.includes(key)) continue;
    await channel.unbindQueue(queue, names.eventsExchange, key);
    unbound.push(key);
  }
  const current = new Set(retryDelays(spec.retry).map((delayMs) => names.retryQueue(spec.name, delayMs)));
  const delayQueue = new RegExp(`^${escapeRegExp(`${queue}.retry.`)}\\d+ms$`);
  const deletedDelayQueues: string[] = [];
  for (const { name } of await api.queuesStartingWith(`${queue}.retry.`)) {
    if (!name || current.has(name) || !delayQueue.test(name)) continue;
    if (await api.deleteQueueIfEmpty(name)) deletedDelayQueues.push(name);
  }
  return { unbound, deletedDelayQueues };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
