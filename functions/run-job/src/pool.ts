import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { JobPoolSize } from './pool-settings';
import { type JobOutcome, type JobTask, warmUpTask } from './jobs.worker';

export interface JobPool {
  /** Runs one job on a worker thread; `signal` aborts it (a running job's thread is terminated and replaced). */
  run(task: JobTask, options?: { signal?: AbortSignal }): Promise<JobOutcome>;
  /** Jobs handed to the pool and not settled yet (running on a thread or waiting for one). */
  readonly pending: number;
  readonly threads: number;
  /** Resolves once every thread has loaded the job code (one warm-up task each), so the first jobs do not wait for a thread to start. */
  ready(): Promise<void>;
  /** Terminates the threads; jobs still running or queued reject. Memoised. */
  close(): Promise<void>;
}

/** Where a thread loads the job code from: the bundle's jobs.worker.mjs, or the source through tsx in development. */
export function jobWorkerFile(base: string | URL = import.meta.url): { filename: string; execArgv?: string[] } {
  const bundled = new URL('./jobs.worker.mjs', base);
  if (existsSync(bundled)) return { filename: fileURLToPath(bundled) };
  const source = new URL('./jobs.worker.ts', base);
  if (!existsSync(source)) throw new Error(`the job worker file is missing: no ${fileURLToPath(bundled)} beside the bundle`);
  // Threads inherit the process's flags; a process without tsx's loader (a test runner) gets it for the TypeScript file.
  if (process.execArgv.some((flag) => flag.includes('tsx'))) return { filename: fileURLToPath(source) };
  const tsx = join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'loader.mjs');
  return { filename: fileURLToPath(source), execArgv: [...process.execArgv, '--import', pathToFileURL(tsx).href] };
}

/**
 * A fixed set of worker threads for CPU-bound jobs (piscina): the event loop stays free for
 * heartbeats, health probes, acks and the stall watchdog while jobs compute, and `threads` jobs run
 * at once on as many cores.
 *
 * @example
 * const pool = createJobPool({ threads: 2, maxOldGenerationSizeMb: 64 });
 * await pool.ready();
 * await pool.run({ type: 'job.count-primes', input: { limit: 1_000 } }, { signal: ctx.signal });
 * await pool.close();
 */
export interface JobPoolOptions {
  /** A thread that failed outside any job (e.g. out of memory while starting); piscina replaces it. Default: a process warning. */
  onThreadError?: (error: Error) => void;
}

export function createJobPool(size: JobPoolSize, options: JobPoolOptions = {}, worker = jobWorkerFile()): JobPool {
  const piscina = new Piscina<JobTask, JobOutcome>({
    filename: worker.filename,
    ...(worker.execArgv ? { execArgv: worker.execArgv } : {}),
    minThreads: size.threads,
    maxThreads: size.threads,
    // One job per thread at a time: a second one would only wait behind the first's CPU.
    concurrentTasksPerWorker: 1,
    idleTimeout: Number.POSITIVE_INFINITY,
    resourceLimits: { maxOldGenerationSizeMb: size.maxOldGenerationSizeMb },
  });
  // Without a listener, piscina's 'error' would be an uncaught exception that ends the replica.
  piscina.on('error', options.onThreadError ?? ((error: Error) => process.emitWarning(`a job thread failed outside any job: ${error.message}`)));
  let closed: Promise<void> | undefined;
  let warmed: Promise<void> | undefined;
  let pending = 0;
  return {
    run: async (task, options = {}) => {
      pending++;
      try {
        return await piscina.run(task, options.signal ? { signal: options.signal } : {});
      } finally {
        pending--;
      }
    },
    get pending() {
      return pending;
    },
    threads: size.threads,
    ready: () => (warmed ??= Promise.all(Array.from({ length: size.threads }, () => piscina.run(warmUpTask))).then(() => {})),
    close: () => (closed ??= piscina.destroy()),
  };
}
