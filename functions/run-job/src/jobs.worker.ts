/**
 * The worker-thread side of the job pool (pool.ts): piscina calls the default export with each task.
 * Bundled on its own as jobs.worker.mjs beside the function's entry (tooling's bundleEntries ships
 * every `src/*.worker.ts`), so a thread loads only the job code.
 */
import { threadId } from 'node:worker_threads';
import { jobRunners } from './job-runners';

export interface JobTask {
  type: string;
  input: unknown;
}

/** A job's output, and when and where it ran (epoch milliseconds, measured on its thread). */
export interface JobOutcome {
  result: Record<string, unknown>;
  startedAt: number;
  finishedAt: number;
  threadId: number;
}

const epochMs = () => performance.timeOrigin + performance.now();

/** Loads nothing and computes nothing: the pool runs one per thread at start, so each thread has loaded this file before the first job. */
export const warmUpTask: JobTask = { type: 'warm-up', input: null };

export default function runJobTask({ type, input }: JobTask): JobOutcome {
  if (type === warmUpTask.type) return { result: {}, startedAt: epochMs(), finishedAt: epochMs(), threadId };
  const runner = jobRunners[type as keyof typeof jobRunners] as ((input: unknown) => Record<string, unknown>) | undefined;
  if (!runner) throw new Error(`unknown job type "${type}"`);
  const startedAt = epochMs();
  const result = runner(input);
  return { result, startedAt, finishedAt: epochMs(), threadId };
}
