import { loadConfig } from '@qfn/shared';
import { createJobPool, type JobPool } from './pool';
import { jobPoolSettings, jobPoolSize } from './pool-settings';

let pool: JobPool | undefined;

/**
 * The replica's one job pool, sized from its environment on first use (main.ts opens it before
 * consuming, so a bad setting stops the process at start).
 */
export function replicaJobPool(declaredConcurrency: number): JobPool {
  pool ??= createJobPool(jobPoolSize(loadConfig(jobPoolSettings), declaredConcurrency));
  return pool;
}

/** Opens the replica's pool and waits for its threads; a thread that cannot start stops the process with one line saying why. */
export async function startReplicaJobPool(declaredConcurrency: number): Promise<JobPool> {
  const started = replicaJobPool(declaredConcurrency);
  try {
    await started.ready();
  } catch (error) {
    const outOfMemory = (error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
    process.stderr.write(`job threads could not start${outOfMemory ? ' within JOB_THREAD_MEMORY_MB' : ''}: ${(error as Error).message}\n`);
    process.exit(outOfMemory ? 78 : 1);
  }
  return started;
}

/** Terminates the replica's pool (a later replicaJobPool() opens a new one). */
export async function closeReplicaJobPool(): Promise<void> {
  const closing = pool?.close();
  pool = undefined;
  await closing;
}
