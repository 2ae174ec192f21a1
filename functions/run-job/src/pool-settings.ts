import { z } from 'zod';

/**
 * The job pool's settings, read from the environment once (a bad value stops the process: exit 78,
 * one line naming the variable). Threads default to the function's concurrency: each message in
 * flight then has a thread, so `concurrency` jobs really run at once, each on its own core.
 */
export const jobPoolSettings = z.object({
  /** The runtime's override of the declaration's concurrency (read here for the default thread count). */
  FUNCTION_CONCURRENCY: z.coerce.number().int().positive().max(1000).optional(),
  /** Worker threads running jobs; default: the function's concurrency. */
  JOB_THREADS: z.coerce.number().int().min(1).max(256).optional(),
  /**
   * Heap limit of each worker thread (V8 old generation, MiB): a job past it fails (retried, then
   * dead-lettered) and its thread is replaced, the replica lives on. 64: the largest valid job
   * (word-count of 1 MB of distinct words) needs under 32 here, and two threads stay inside the chart's 256Mi.
   */
  JOB_THREAD_MEMORY_MB: z.coerce.number().int().min(16).max(65_536).default(64),
});

export type JobPoolSettings = z.output<typeof jobPoolSettings>;

export interface JobPoolSize {
  threads: number;
  maxOldGenerationSizeMb: number;
}

/** The pool size these settings give a function whose declaration says `declaredConcurrency`. */
export function jobPoolSize(settings: JobPoolSettings, declaredConcurrency: number): JobPoolSize {
  return {
    threads: settings.JOB_THREADS ?? settings.FUNCTION_CONCURRENCY ?? declaredConcurrency,
    maxOldGenerationSizeMb: settings.JOB_THREAD_MEMORY_MB,
  };
}
