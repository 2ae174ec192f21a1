// Runs one embedded service (the SQS emulator or PGlite behind the Postgres wire protocol) on its own
// thread, so its work never stalls the runner's timers. Plain JavaScript: worker threads load it with
// Node's own loader, whether the runner runs under tsx or vitest.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

/** @type {{ kind: 'sqs' | 'postgres', port: number, dataDir?: string, maxConnections?: number, freshCluster?: string }} */
const settings = workerData;
/** @type {() => Promise<void>} */
let stop = async () => {};

/**
 * An in-memory database starts from a saved copy of a freshly initialised cluster when there is one
 * (about a second) instead of running initdb (two to ten seconds); the first run saves that copy.
 * @param {typeof import('@electric-sql/pglite').PGlite} PGlite
 */
async function createDatabase(PGlite) {
  const saved = settings.freshCluster;
  if (settings.dataDir || !saved) return PGlite.create(settings.dataDir);
  if (existsSync(saved)) {
    try {
      return await PGlite.create({ loadDataDir: new Blob([readFileSync(saved)]) });
    } catch {
      // A copy from an incompatible build: start afresh and replace it.
    }
  }
  const db = await PGlite.create();
  const dump = await db.dumpDataDir('gzip');
  mkdirSync(dirname(saved), { recursive: true });
  writeFileSync(`${saved}.tmp`, Buffer.from(await dump.arrayBuffer()));
  renameSync(`${saved}.tmp`, saved);
  return db;
}

async function start() {
  if (settings.kind === 'sqs') {
    const { startFauxqs } = await import('fauxqs');
    const server = await startFauxqs({ port: settings.port, host: '127.0.0.1', logger: false });
    stop = () => server.stop();
    return server.port;
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { servePglite } = await import('./pglite-server.mjs');
  const db = await createDatabase(PGlite);
  const server = await servePglite({ db, host: '127.0.0.1', port: settings.port, maxConnections: settings.maxConnections ?? 1 });
  stop = async () => {
    await server.stop();
    await db.close();
  };
  return server.port;
}

parentPort.on('message', async (message) => {
  if (message?.type !== 'stop') return;
  try {
    await stop();
  } finally {
    parentPort.postMessage({ type: 'stopped' });
  }
});

start().then(
  (port) => parentPort.postMessage({ type: 'ready', port }),
  (error) => parentPort.postMessage({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
);
