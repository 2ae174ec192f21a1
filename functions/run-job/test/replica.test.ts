/**
 * run-job as its container runs it (a real process, real RabbitMQ and Postgres): jobs compute on the
 * replica's worker threads, so `concurrency` jobs overlap, probes answer during a job, a job that
 * fails on its thread is retried and dead-lettered like any failure, and SIGTERM drains or hands back.
 */
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { queueSpecOf } from '@qfn/shared/platform';
import runJob from '../src/function';
import { rabbitmqHarness } from '../../../test/support/brokers';
import { type FunctionProcess, startFunctionProcess } from '../../../test/support/process';
import { waitFor } from '../../../test/support/wait';
import { deadLetters, faultScenario, freePort, report, terminate, waitForEmptyQueue } from '../../../test/faults/support';
import { publishJob } from '../../../test/faults/jobs';

const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const spec = queueSpecOf(runJob);

interface JobRan {
  kind: string;
  threadId: number;
  startedAt: number;
  finishedAt: number;
  eventId: string;
}

const jobsRan = (process: FunctionProcess) => process.logs.filter((line) => line['msg'] === 'job ran') as unknown as JobRan[];

describe('run-job on its worker threads', () => {
  const setUp = faultScenario(rabbitmqHarness);
  const started: FunctionProcess[] = [];

  async function startReplica(label: string, extra: Record<string, string> = {}) {
    const { world } = await setUp(label, 'run-job-unused');
    await world.broker.provision(spec);
    const start = (more: Record<string, string> = {}) => {
      const process = startFunctionProcess(entry, world.env('run-job', { LOG_LEVEL: 'debug', ...extra, ...more }));
      started.push(process);
      return process;
    };
    const replica = start();
    await replica.waitForLog('consuming', 30_000);
    const results = async () =>
      (await world.database.db.execute<{ event_id: string; n: number }>(sql`select event_id, count(*)::int as n from job_results group by event_id`)).map(
        (r) => ({ ...r }),
      );
    return { world, replica, start, results };
  }

  const stopAll = async () => {
    for (const p of started.splice(0)) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  };

  it('runs two CPU-bound jobs at once with concurrency 2: their intervals overlap, on two threads', async () => {
    try {
      const { world, replica } = await startReplica('rjoverlap');
      await Promise.all([0, 1].map(() => publishJob(world.broker, 'job.count-primes', { limit: 12_000_000 })));
      const [a, b] = await waitFor('both jobs', () => (jobsRan(replica).length >= 2 ? jobsRan(replica) : undefined), 120_000, 50);
      const overlapMs = Math.min(a!.finishedAt, b!.finishedAt) - Math.max(a!.startedAt, b!.startedAt);
      report('run-job/overlap', {
        durationsMs: [a!, b!].map((j) => Math.round(j.finishedAt - j.startedAt)),
        overlapMs: Math.round(overlapMs),
        spanMs: Math.round(Math.max(a!.finishedAt, b!.finishedAt) - Math.min(a!.startedAt, b!.startedAt)),
      });
      expect(a!.threadId).not.toBe(b!.threadId);
      expect(overlapMs).toBeGreaterThan(0);
    } finally {
      await stopAll();
    }
  }, 180_000);

  it('answers /healthz and /readyz while a CPU-bound job computes', async () => {
    try {
      const healthPort = await freePort();
      const { world, replica } = await startReplica('rjhealth', { HEALTH_PORT: String(healthPort) });
      await publishJob(world.broker, 'job.derive-key', { secret: 's', iterations: 2_000_000 });
      const answers: { at: number; healthz: number; readyz: number }[] = [];
      const deadline = Date.now() + 120_000;
      while (jobsRan(replica).length === 0 && Date.now() < deadline) {
        const [healthz, readyz] = await Promise.all(['healthz', 'readyz'].map(async (path) => (await fetch(`http://127.0.0.1:${healthPort}/${path}`)).status));
        answers.push({ at: Date.now(), healthz: healthz!, readyz: readyz! });
        await sleep(20);
      }
      const [job] = jobsRan(replica);
      expect(job).toBeDefined();
      const during = answers.filter((a) => a.at > job!.startedAt && a.at < job!.finishedAt);
      report('run-job/probes-during-job', { jobMs: Math.round(job!.finishedAt - job!.startedAt), answersDuringJob: during.length });
      expect(during.length).toBeGreaterThanOrEqual(3);
      expect(during.every((a) => a.healthz === 200 && a.readyz === 200)).toBe(true);
    } finally {
      await stopAll();
    }
  }, 180_000);

  it('retries a job that fails on its thread (out of thread memory), then dead-letters it, and goes on', async () => {
    try {
      // ~150,000 distinct words: counting them outgrows a 16 MiB thread heap.
      const text = Array.from({ length: 150_000 }, (_, i) => `w${i.toString(36)}`).join(' ');
      const { world, replica, results } = await startReplica('rjthreadfail', { JOB_THREAD_MEMORY_MB: '16' });
      const failing = await publishJob(world.broker, 'job.word-count', { text, top: 5 });
      const letters = await waitFor(
        'the dead letter',
        async () => {
          const found = await deadLetters(world.broker, spec);
          return found.length > 0 ? found : undefined;
        },
        90_000,
        250,
      );
      expect(letters.map((l) => ({ eventId: l.eventId, attempts: l.attempts }))).toEqual([{ eventId: failing, attempts: runJob.retry.maxAttempts }]);
      expect(letters[0]!.reason).toMatch(/memory/i);
      const retried = replica.logs.filter((l) => l['msg'] === 'message failed; will retry' && l['eventId'] === failing);
      expect(retried.length).toBe(runJob.retry.maxAttempts - 1);
      // The replica lives on: its thread was replaced.
      const next = await publishJob(world.broker, 'job.checksum', { text: 'abc' });
      await waitFor('the next job', async () => (await results()).some((r) => r.event_id === next), 60_000, 100);
      expect((await results()).map((r) => r.event_id)).toEqual([next]);
      expect(replica.child.exitCode).toBeNull();
    } finally {
      await stopAll();
    }
  }, 180_000);

  it('drains on SIGTERM: a running job finishes and commits before the replica exits 0', async () => {
    try {
      const { world, replica, results } = await startReplica('rjdrain');
      const id = await publishJob(world.broker, 'job.derive-key', { secret: 's', iterations: 1_000_000 });
      await replica.waitForLog('job started', 30_000);
      const { code } = await terminate(replica);
      expect(code).toBe(0);
      expect(await results()).toEqual([{ event_id: id, n: 1 }]);
      expect(replica.logs.find((l) => l['msg'] === 'stopped')?.['drained']).toBe(true);
      // Every shutdown step, the pool's own (onStopped) included, went through.
      expect(replica.logs.filter((l) => l['msg'] === 'shutdown step failed; the next steps run still')).toEqual([]);
    } finally {
      await stopAll();
    }
  }, 180_000);

  it('hands a job still computing at the grace deadline back: its thread is stopped, the next replica runs it once', async () => {
    try {
      // The largest key derivation (2,000,000 PBKDF2 rounds) takes 0.6–0.9 s on an idle machine here: a grace period of
      // 0.2 s from the moment it started ends long before it can (with 1 s, a fast machine finished the job in time).
      const { world, replica, start, results } = await startReplica('rjgrace', { SHUTDOWN_GRACE_PERIOD_SECONDS: '0.2' });
      const id = await publishJob(world.broker, 'job.derive-key', { secret: 's', iterations: 2_000_000 });
      await replica.waitForLog('job started', 30_000);
      const { code, exitMs } = await terminate(replica);
      expect(code).toBe(0);
      expect(replica.logs.find((l) => l['msg'] === 'stopped')?.['drained']).toBe(false);
      expect(replica.logs.filter((l) => l['msg'] === 'shutdown step failed; the next steps run still')).toEqual([]);
      expect(jobsRan(replica)).toEqual([]);
      expect(await results()).toEqual([]);
      const next = start({ SHUTDOWN_GRACE_PERIOD_SECONDS: '60' });
      await waitFor('the job on the next replica', async () => (await results()).length > 0, 120_000, 200);
      await waitForEmptyQueue(world.broker, spec);
      expect(await results()).toEqual([{ event_id: id, n: 1 }]);
      expect(await deadLetters(world.broker, spec)).toEqual([]);
      report('run-job/grace-deadline', { exitMs, nextReplicaJobMs: Math.round(jobsRan(next)[0]!.finishedAt - jobsRan(next)[0]!.startedAt) });
    } finally {
      await stopAll();
    }
  }, 240_000);
});
