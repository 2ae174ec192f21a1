/**
 * The chain run-job → job.completed → record-completion as the fault tests run it: its two entry
 * points, the jobs fed into it, the recovery relay the publish function runs beside it, and what
 * "every job completed exactly once" means in Postgres.
 */
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { type Broker, type Database, OutboxRelay, outboxStats, type QueueAdmin, queueSpecOf, type QueueSpec } from '@qfn/shared/platform';
import runJob from '../../functions/run-job/src/function';
import recordCompletion from '../../functions/record-completion/src/function';
import { waitFor } from '../support/wait';
import { publishJob } from './jobs';
import { deadLetters, waitForEmptyQueue } from './support';

export const chainEntries = {
  'run-job': fileURLToPath(new URL('../../functions/run-job/src/main.ts', import.meta.url)),
  'record-completion': fileURLToPath(new URL('../../functions/record-completion/src/main.ts', import.meta.url)),
};
export type ChainFunction = keyof typeof chainEntries;

export const chainSpecs: QueueSpec[] = [queueSpecOf(runJob), queueSpecOf(recordCompletion)];

/** Publishes `count` job.checksum jobs (each `rounds` SHA-256 rounds), many confirms in flight; their ids in order. */
export async function publishChainJobs(broker: Broker, count: number, rounds = 1): Promise<string[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => publishJob(broker, 'job.checksum', { text: `job ${i}`, rounds })));
}

export async function chainRowCount(db: Database, table: 'job_results' | 'job_completions'): Promise<number> {
  const [row] = await db.execute<{ n: number }>(sql`select count(*)::int as n from ${sql.identifier(table)}`);
  return row!.n;
}

/** What the publish function runs: sends outbox rows of any function still unsent `adoptAfterMs` after their commit. */
export function startRecoveryRelay(db: Database, broker: Broker, adoptAfterMs = 3_000): { adopted(): number; stop(): Promise<void> } {
  const relay = new OutboxRelay({ db, broker, source: 'publish', adoptAfterMs, pollIntervalMs: 200 });
  let adopted = 0;
  relay.on('sent', ({ count }) => (adopted += count));
  relay.start();
  return { adopted: () => adopted, stop: () => relay.stop() };
}

/** Waits for the outbox to hold nothing unsent (due or scheduled). */
export async function waitForEmptyOutbox(db: Database, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    'an empty outbox',
    async () => {
      const stats = await outboxStats(db);
      return stats.pending + stats.scheduled === 0;
    },
    timeoutMs,
    100,
  );
}

/** Each job has exactly one result and one completion row, no other job has any, and every outbox row was sent once. */
export async function expectEachJobCompletedOnce(db: Database, ids: readonly string[]): Promise<void> {
  const completions = await db.execute<{ job_id: string; n: number }>(sql`select job_id, count(*)::int as n from job_completions group by job_id`);
  expect(completions.filter((r) => r.n !== 1)).toEqual([]);
  expect(new Set(completions.map((r) => r.job_id))).toEqual(new Set(ids));
  const results = await db.execute<{ n: number; distinct: number }>(sql`select count(*)::int as n, count(distinct event_id)::int as distinct from job_results`);
  expect(results[0]).toEqual({ n: ids.length, distinct: ids.length });
  const [outbox] = await db.execute<{ sent: number; unsent: number }>(
    sql`select count(*) filter (where sent_at is not null)::int as sent, count(*) filter (where sent_at is null)::int as unsent from outbox`,
  );
  expect(outbox).toEqual({ sent: ids.length, unsent: 0 });
}

/**
 * Waits for every job's completion, an empty outbox and empty chain queues, then expects no dead letters and each job
 * completed exactly once. Returns the milliseconds from `startedAt` (a performance.now()) until the queues were empty.
 */
export async function expectChainDrained(
  db: Database,
  broker: QueueAdmin,
  ids: readonly string[],
  startedAt: number,
  timeouts: { completionsMs: number; outboxMs: number; queueMs: number },
): Promise<number> {
  await waitFor('every completion', async () => (await chainRowCount(db, 'job_completions')) >= ids.length, timeouts.completionsMs, 100);
  await waitForEmptyOutbox(db, timeouts.outboxMs);
  for (const spec of chainSpecs) await waitForEmptyQueue(broker, spec, timeouts.queueMs);
  const elapsedMs = Math.round(performance.now() - startedAt);
  for (const spec of chainSpecs) expect(await deadLetters(broker, spec)).toEqual([]);
  await expectEachJobCompletedOnce(db, ids);
  return elapsedMs;
}
