import { defineFunction } from '@qfn/shared';
import { jobCompleted, jobRequested } from './events';
import { assertJobType, jobKind } from './jobs';
import { replicaJobPool } from './replica-pool';
import { jobResults } from './schema';

/** Messages in flight per replica, and so (by default) worker threads in its job pool. */
const concurrency = 2;

/**
 * Runs the job its event type names (`job.<kind>`) on the event's typed data in a worker thread,
 * stores the result, emits job.completed.
 */
export default defineFunction({
  name: 'run-job',
  description: 'Runs CPU-bound jobs (job.derive-key, job.count-primes, job.word-count, job.checksum)',
  subscribes: [jobRequested.deriveKey, jobRequested.countPrimes, jobRequested.wordCount, jobRequested.checksum],
  concurrency,
  poolSize: 2,
  retry: { maxAttempts: 3, initialDelayMs: 2_000 },
  scaling: { minReplicaCount: 0, maxReplicaCount: 8, targetQueueLength: 4, pollingInterval: 5, cooldownPeriod: 60 },
  shutdownGracePeriodSeconds: 60,
  // The largest valid job takes seconds: one still running after this is stuck; its thread is stopped and it is retried.
  handlerTimeoutMs: 120_000,
  handler: async (event, ctx) => {
    const { db, eventId, eventType, publish, signal } = ctx;
    assertJobType(eventType);
    // On a worker thread: this thread keeps acking, heartbeating and answering probes meanwhile.
    // ctx.signal (the shutdown deadline, handlerTimeoutMs) terminates the job's thread.
    ctx.log.debug({ eventId, eventType }, 'job started');
    const { result, startedAt, finishedAt, threadId } = await replicaJobPool(concurrency).run({ type: eventType, input: event }, { signal });
    const durationMs = finishedAt - startedAt;
    const kind = jobKind(eventType);
    ctx.log.info({ kind, threadId, startedAt, finishedAt, durationMs: Math.round(durationMs) }, 'job ran');
    await db.insert(jobResults).values({ eventId, kind, result, durationMs }).onConflictDoNothing();
    // In this transaction: sent only if the result is stored, exactly one job.completed per job.
    await publish(jobCompleted, { jobId: eventId, kind, durationMs });
  },
});
