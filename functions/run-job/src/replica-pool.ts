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

/** Terminates the replica's pool (a later replicaJobPool() opens a new one). */
export async function closeReplicaJobPool(): Promise<void> {
  const closing = pool?.close();
  pool = undefined;
  await closing;
}
