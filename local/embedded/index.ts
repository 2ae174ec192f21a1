import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { repoRoot } from '@qfn/tooling/paths';

export interface EmbeddedService {
  kind: 'sqs' | 'postgres';
  port: number;
  /** Stops the service cleanly (PGlite flushes its data directory) and ends its thread. */
  stop(): Promise<void>;
}

type WorkerMessage = { type: 'ready'; port: number } | { type: 'failed'; message: string } | { type: 'stopped' };

interface ServiceSettings {
  kind: 'sqs' | 'postgres';
  port: number;
  dataDir?: string;
  maxConnections?: number;
  /** Where a copy of a freshly initialised PGlite cluster is kept (in-memory databases start from it). */
  freshCluster?: string;
}

async function startInWorker(settings: ServiceSettings): Promise<EmbeddedService> {
  const worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: settings, stdout: false, stderr: false });
  const [first] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([error]) => [{ type: 'failed', message: String(error) }])])) as [
    WorkerMessage,
  ];
  if (first.type !== 'ready') {
    await worker.terminate();
    throw new Error(`embedded ${settings.kind} did not start: ${first.type === 'failed' ? first.message : first.type}`);
  }
  let stopping: Promise<void> | undefined;
  return {
    kind: settings.kind,
    port: first.port,
    stop: () =>
      (stopping ??= (async () => {
        const stopped = once(worker, 'message');
        worker.postMessage({ type: 'stop' });
        await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        await worker.terminate();
      })()),
  };
}

/**
 * The SQS emulator (fauxqs) on 127.0.0.1, on its own thread.
 *
 * @example
 * const sqs = await startEmbeddedSqs(0);
 * const endpoint = `http://127.0.0.1:${sqs.port}`;
 */
export function startEmbeddedSqs(port: number): Promise<EmbeddedService> {
  return startInWorker({ kind: 'sqs', port });
}

/**
 * PGlite (PostgreSQL in WebAssembly) served over the Postgres wire protocol on 127.0.0.1, on its own thread.
 * `maxConnections` must cover every client pool: the server refuses connections beyond it.
 *
 * @example
 * const pg = await startEmbeddedPostgres({ port: 0, maxConnections: 64 });
 * const url = `postgres://postgres@127.0.0.1:${pg.port}/postgres`;
 */
export function startEmbeddedPostgres(options: { port: number; maxConnections: number; dataDir?: string }): Promise<EmbeddedService> {
  return startInWorker({ kind: 'postgres', ...options, freshCluster: freshClusterFile() });
}

/** Per PGlite version, under node_modules/.cache like other tools' caches. */
function freshClusterFile(): string | undefined {
  try {
    const manifest = join(repoRoot, 'node_modules', '@electric-sql', 'pglite', 'package.json');
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
    return join(repoRoot, 'node_modules', '.cache', 'qfn-local', `pglite-${version}-fresh-cluster.tar.gz`);
  } catch {
    return undefined;
  }
}
