import { defineFunction } from '@qfn/shared';
import { jobCompleted, jobRequested } from './events';
import { jobKind, runJob } from './jobs';
import { jobResults } from './schema';

/** Runs the job its event type names (`job.<kind>`) on the event's typed data, stores the result, emits job.completed. */
export default defineFunction({
  name: 'run-job',
  description: 'Runs CPU-bound jobs (job.derive-key, job.count-primes, job.word-count, job.checksum)',
  subscribes: [jobRequested.deriveKey, jobRequested.countPrimes, jobRequested.wordCount, jobRequested.checksum],
  concurrency: 2,
  poolSize: 2,
  retry: { maxAttempts: 3, initialDelayMs: 2_000 },
  scaling: { minReplicaCount: 0, maxReplicaCount: 8, targetQueueLength: 4, pollingInterval: 5, cooldownPeriod: 60 },
  shutdownGracePeriodSeconds: 60,
  handler: async (event, { db, eventId, eventType, publish }) => {
    const started = performance.now();
    const result = runJob(eventType as never, event as never);
    const durationMs = performance.now() - started;
    const kind = jobKind(eventType);
    await db.insert(jobResults).values({ eventId, kind, result, durationMs }).onConflictDoNothing();
    // In this transaction: sent only if the result is stored, exactly one job.completed per job.
    await publish(jobCompleted, { jobId: eventId, kind, durationMs });
  },
});
