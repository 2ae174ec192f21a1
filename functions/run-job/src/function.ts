import { defineFunction, messageEvent } from '@qfn/shared';
import { buildJob } from './jobs';
import { jobResults } from './schema';

/** Builds a job from the event type (`job.<kind>`) and its attributes, runs it, stores the result. */
export default defineFunction({
  name: 'run-job',
  description: 'Runs CPU-bound jobs (job.derive-key, job.count-primes, job.word-count, job.checksum)',
  subscribes: ['job.*'],
  schema: messageEvent,
  concurrency: 2,
  poolSize: 2,
  retry: { maxAttempts: 3, initialDelayMs: 2_000 },
  scaling: { minReplicaCount: 0, maxReplicaCount: 8, targetQueueLength: 4, pollingInterval: 5, cooldownPeriod: 60 },
  shutdownGracePeriodSeconds: 60,
  handler: async (event, { db, eventId, eventType }) => {
    const job = buildJob(eventType, event.messageAttributes);
    const started = performance.now();
    const result = job.run();
    const durationMs = performance.now() - started;
    await db.insert(jobResults).values({ eventId, kind: job.kind, result, durationMs }).onConflictDoNothing();
  },
});
