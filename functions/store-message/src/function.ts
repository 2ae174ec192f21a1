import { defineFunction, messageEvent, messages } from '@qfn/shared';

/** Stores every published message in Postgres, a batch per transaction. */
export default defineFunction({
  name: 'store-message',
  description: 'Stores every published message in Postgres',
  subscribes: ['message.published'],
  schema: messageEvent,
  concurrency: 200,
  batchSize: 100,
  poolSize: 4,
  retry: { maxAttempts: 5, initialDelayMs: 1_000, maxDelayMs: 30_000 },
  scaling: { minReplicaCount: 0, maxReplicaCount: 10, targetQueueLength: 500, pollingInterval: 5, cooldownPeriod: 60 },
  shutdownGracePeriodSeconds: 30,
  handleBatch: async (items, db) => {
    await db
      .insert(messages)
      .values(
        items.map(({ event, ctx }) => ({
          id: ctx.eventId,
          type: ctx.eventType,
          ts: event.ts,
          sender: event.sender,
          messageAttributes: event.messageAttributes,
          sentFromIp: event.sent_from_ip,
          priority: event.priority,
          acceptedAt: ctx.eventTime,
        })),
      )
      .onConflictDoNothing();
  },
});
