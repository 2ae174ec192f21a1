/**
 * The chain run-job → job.completed → record-completion, each a real process: both SIGKILLed twice at
 * random moments while 400 jobs go through and restarted as a ReplicaSet would, with the publish
 * function's recovery relay running beside them. Every job must end in exactly one completion row, and
 * the outbox must drain to empty.
 */
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope, OutboxRelay, outboxStats, queueSpecOf, uuidv7 } from '@qfn/shared/platform';
import runJob from '../../functions/run-job/src/function';
import recordCompletion from '../../functions/record-completion/src/function';
import { brokerHarnesses } from '../support/brokers';
import { type FunctionProcess, startFunctionProcess } from '../support/process';
import { waitFor } from '../support/wait';
import { deadLetters, faultScenario, report, waitForEmptyQueue } from './support';

const jobs = 400;
const entries = {
  'run-job': fileURLToPath(new URL('../../functions/run-job/src/main.ts', import.meta.url)),
  'record-completion': fileURLToPath(new URL('../../functions/record-completion/src/main.ts', import.meta.url)),
};

describe.each(brokerHarnesses)('outbox chain under SIGKILL on $kind', (harness) => {
  const setUp = faultScenario(harness);

  it(`turns ${jobs} jobs into exactly ${jobs} completions across SIGKILLs of either replica`, async () => {
    const { world } = await setUp('chain', 'chain-unused');
    const specs = [queueSpecOf(runJob), queueSpecOf(recordCompletion)];
    for (const spec of specs) await world.broker.provision(spec);
    const processes: FunctionProcess[] = [];
    const start = (fn: keyof typeof entries) => {
      const started = startFunctionProcess(entries[fn], world.env(fn, { LOG_LEVEL: 'info' }));
      processes.push(started);
      return started;
    };
    // What the publish function runs: adopts rows a dead replica left unsent.
    const recovery = new OutboxRelay({ db: world.database.db, broker: world.broker, source: 'publish', adoptAfterMs: 3_000, pollIntervalMs: 200 });
    let adopted = 0;
    recovery.on('sent', ({ count }) => (adopted += count));
    recovery.start();
    const count = async (table: 'job_results' | 'job_completions') => {
      const [row] = await world.database.db.execute<{ n: number }>(sql`select count(*)::int as n from ${sql.identifier(table)}`);
      return row!.n;
    };
    try {
      const started = performance.now();
      const ids = Array.from({ length: jobs }, () => uuidv7());
      await Promise.all(
        ids.map((id, i) =>
          world.broker.publish({ id, type: 'job.checksum', body: encodeEnvelope({ id, type: 'job.checksum', time: new Date().toISOString(), data: { text: `job ${i}`, rounds: 1 } }) }),
        ),
      );
      const current = { 'run-job': start('run-job'), 'record-completion': start('record-completion') };
      const kill = async (fn: keyof typeof entries, table: 'job_results' | 'job_completions', mark: number) => {
        await waitFor(`${mark} rows in ${table}`, async () => (await count(table)) >= mark, 90_000, 20);
        await sleep(Math.random() * 100);
        current[fn].child.kill('SIGKILL');
        await current[fn].exited;
        current[fn] = start(fn);
      };
      const marks = (share: number) => Math.floor(jobs * (share + Math.random() * 0.15));
      await kill('run-job', 'job_results', marks(0.15));
      await kill('record-completion', 'job_completions', marks(0.25));
      await kill('run-job', 'job_results', marks(0.5));
      await kill('record-completion', 'job_completions', marks(0.6));

      await waitFor('every completion', async () => (await count('job_completions')) >= jobs, 120_000, 100);
      await waitFor('an empty outbox', async () => (await outboxStats(world.database.db)).pending + (await outboxStats(world.database.db)).scheduled === 0, 30_000, 100);
      for (const spec of specs) await waitForEmptyQueue(world.broker, spec);
      const elapsedMs = Math.round(performance.now() - started);
      for (const spec of specs) expect(await deadLetters(world.broker, spec)).toEqual([]);

      const rows = await world.database.db.execute<{ job_id: string; n: number }>(sql`select job_id, count(*)::int as n from job_completions group by job_id`);
      expect(rows.length).toBe(jobs);
      expect(rows.filter((r) => r.n !== 1)).toEqual([]);
      expect(new Set(rows.map((r) => r.job_id))).toEqual(new Set(ids));
      const [sent] = await world.database.db.execute<{ n: number }>(sql`select count(*)::int as n from outbox where sent_at is not null`);
      expect(sent!.n).toBe(jobs);
      report(`outbox-chain/${harness.kind}`, { jobs, kills: 4, adoptedByRecovery: adopted, elapsedMs });
    } finally {
      await recovery.stop();
      for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await Promise.all(processes.map((p) => p.exited));
    }
  }, 240_000);
});
