import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { runOnce, sharedTestContext } from '@qfn/shared/testing';
import runJob from './function';
import { closeReplicaJobPool } from './replica-pool';

describe('run-job, through the real worker without services', () => {
  afterAll(async () => {
    await closeReplicaJobPool();
  });

  it('runs the job on a worker thread, stores its result and emits one job.completed', async () => {
    const outcome = await runOnce(runJob, { type: 'job.count-primes', data: { limit: 100 } });
    expect(outcome.status).toBe('processed');
    const { db } = await sharedTestContext();
    const rows = await db.execute<{ event_id: string; result: unknown }>(sql`select event_id, result from job_results where event_id = ${outcome.eventId}`);
    expect(rows.map((r) => r.result)).toEqual([{ limit: 100, primes: 25 }]);
    expect(outcome.emitted.map((e) => [e.type, (e.data as { jobId: string }).jobId])).toEqual([['job.completed', outcome.eventId]]);
    const ran = outcome.logs.find((l) => l['msg'] === 'job ran');
    expect(ran?.['threadId']).toBeGreaterThan(0);
  });
});
