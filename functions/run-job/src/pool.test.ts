import { afterEach, describe, expect, it } from 'vitest';
import { createJobPool, type JobPool } from './pool';
import { jobPoolSettings, jobPoolSize } from './pool-settings';
import type { JobOutcome } from './jobs.worker';

/** A sieve that takes a few hundred milliseconds here: long enough that two runs in a row could not overlap. */
const cpuJob = { type: 'job.count-primes', input: { limit: 8_000_000 } };

const overlapMs = (a: JobOutcome, b: JobOutcome) => Math.min(a.finishedAt, b.finishedAt) - Math.max(a.startedAt, b.startedAt);

describe('the job pool', () => {
  let pool: JobPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('runs two CPU-bound jobs at once on two threads', async () => {
    pool = createJobPool({ threads: 2, maxOldGenerationSizeMb: 64 });
    await pool.ready();
    const [a, b] = await Promise.all([pool.run(cpuJob), pool.run(cpuJob)]);
    expect(a!.result).toEqual({ limit: 8_000_000, primes: 539_777 });
    expect(a!.threadId).not.toBe(b!.threadId);
    const figures = { durationsMs: [a!, b!].map((o) => Math.round(o.finishedAt - o.startedAt)), overlapMs: Math.round(overlapMs(a!, b!)) };
    process.stdout.write(`[job-pool] two jobs on two threads ${JSON.stringify(figures)}\n`);
    // Their intervals intersect: the second started before the first finished.
    expect(overlapMs(a!, b!)).toBeGreaterThan(0);
  });

  it('runs them one after the other on one thread (what the overlap above is measured against)', async () => {
    pool = createJobPool({ threads: 1, maxOldGenerationSizeMb: 64 });
    const [a, b] = await Promise.all([pool.run(cpuJob), pool.run(cpuJob)]);
    expect(a!.threadId).toBe(b!.threadId);
    expect(overlapMs(a!, b!)).toBeLessThanOrEqual(0);
  });

  it('keeps this thread free while a job computes', async () => {
    pool = createJobPool({ threads: 1, maxOldGenerationSizeMb: 64 });
    const job = pool.run(cpuJob);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const { startedAt, finishedAt } = await job;
    clearInterval(ticker);
    // A job on this thread would have let no timer fire until it ended.
    expect(ticks).toBeGreaterThan(2);
    process.stdout.write(`[job-pool] timer ticks (10 ms) during a ${Math.round(finishedAt - startedAt)} ms job: ${ticks}\n`);
  });

  it('rejects with the error a job threw on its thread, and goes on running jobs', async () => {
    pool = createJobPool({ threads: 1, maxOldGenerationSizeMb: 64 });
    await expect(pool.run({ type: 'job.mine-bitcoin', input: {} })).rejects.toThrowError('unknown job type "job.mine-bitcoin"');
    expect((await pool.run({ type: 'job.checksum', input: { text: 'abc', rounds: 1 } })).result['sha256']).toMatch(/^ba7816bf/);
  });

  it('fails a job that outgrows its thread heap limit, replaces the thread and goes on', async () => {
    const threadErrors: Error[] = [];
    pool = createJobPool({ threads: 1, maxOldGenerationSizeMb: 16 }, { onThreadError: (error) => threadErrors.push(error) });
    // ~150,000 distinct words: the counting map and the sort outgrow 16 MiB of heap.
    const text = Array.from({ length: 150_000 }, (_, i) => `w${i.toString(36)}`).join(' ');
    await expect(pool.run({ type: 'job.word-count', input: { text, top: 10 } })).rejects.toThrowError(/memory/i);
    expect((await pool.run({ type: 'job.checksum', input: { text: 'abc', rounds: 1 } })).result['rounds']).toBe(1);
    expect(threadErrors).toEqual([]);
  });

  it('aborts a running job through its signal: the thread is terminated and replaced', async () => {
    pool = createJobPool({ threads: 1, maxOldGenerationSizeMb: 64 });
    const controller = new AbortController();
    const running = pool.run({ type: 'job.derive-key', input: { secret: 's', salt: 'qfn', iterations: 2_000_000 } }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('grace period over')), 50);
    const started = performance.now();
    await expect(running).rejects.toThrowError(/abort/i);
    expect(performance.now() - started).toBeLessThan(60_000);
    expect(pool.pending).toBe(0);
    expect((await pool.run({ type: 'job.checksum', input: { text: 'abc', rounds: 1 } })).result['rounds']).toBe(1);
  });

  it('rejects what is still running when it is closed', async () => {
    pool = createJobPool({ threads: 1, maxOldGenerationSizeMb: 64 });
    const running = pool.run({ type: 'job.derive-key', input: { secret: 's', salt: 'qfn', iterations: 2_000_000 } });
    const queued = pool.run(cpuJob);
    const settled = Promise.allSettled([running, queued]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await pool.close();
    expect((await settled).map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect(pool.close()).toBe(pool.close());
  });
});

describe('the job pool settings', () => {
  it('size the pool as the function concurrency unless JOB_THREADS says otherwise', () => {
    expect(jobPoolSize(jobPoolSettings.parse({}), 2)).toEqual({ threads: 2, maxOldGenerationSizeMb: 64 });
    expect(jobPoolSize(jobPoolSettings.parse({ FUNCTION_CONCURRENCY: '6' }), 2).threads).toBe(6);
    expect(jobPoolSize(jobPoolSettings.parse({ FUNCTION_CONCURRENCY: '6', JOB_THREADS: '3', JOB_THREAD_MEMORY_MB: '64' }), 2)).toEqual({
      threads: 3,
      maxOldGenerationSizeMb: 64,
    });
  });

  it.each([
    ['JOB_THREADS', '0'],
    ['JOB_THREADS', 'two'],
    ['JOB_THREAD_MEMORY_MB', '8'],
  ])('refuse %s=%s', (name, value) => {
    expect(jobPoolSettings.safeParse({ [name]: value }).success).toBe(false);
  });
});
