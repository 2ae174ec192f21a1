import { defineFunction } from '@qfn/shared';
import { jobCompleted } from '@qfn/run-job/events';
import { jobCompletions } from './schema';

/** Records every job.completed event run-job emits: the second link of the chain run-job → record-completion. */
export default defineFunction({
  name: 'record-completion',
  description: 'Records each job.completed event run-job emits',
  subscribes: [jobCompleted],
  concurrency: 20,
  poolSize: 2,
  scaling: { minReplicaCount: 0, maxReplicaCount: 4, targetQueueLength: 50, pollingInterval: 5, cooldownPeriod: 60 },
  handler: async (event, { db, eventId }) => {
    // A plain insert: the inbox, not a unique job_id, is what keeps it to one row per job.
    await db.insert(jobCompletions).values({ eventId, jobId: event.jobId, kind: event.kind, durationMs: event.durationMs });
  },
});
