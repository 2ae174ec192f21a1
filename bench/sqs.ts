/**
 * Messages per second through the SQS adapter and the fauxqs emulator (run in its own process, as a
 * real SQS is): publish N events, then consume and acknowledge them with one consumer.
 *
 *   npx tsx bench/sqs.ts [messages=5000] [publishConcurrency=100] [prefetch=100]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { retryDefaults } from '@qfn/shared/platform';
import { createSqsBroker, deleteSqsQueues } from '@qfn/shared/sqs';
import type { QueueSpec } from '@qfn/shared/platform';

const [messages = 5_000, publishConcurrency = 100, prefetch = 100] = process.argv.slice(2).map(Number);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function startEmulatorProcess() {
  const port = await freePort();
  const cli = join(dirname(fileURLToPath(import.meta.resolve('fauxqs'))), 'cli.js');
  const child = spawn(process.execPath, [cli], {
    env: { ...process.env, FAUXQS_PORT: String(port), FAUXQS_LOGGER: 'false' },
    stdio: 'ignore',
  });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${endpoint}/health`)).ok) return { endpoint, stop: () => child.kill('SIGTERM') };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  child.kill('SIGKILL');
  throw new Error('fauxqs did not start');
}

const emulator = await startEmulatorProcess();
const prefix = `bench-sqs-${randomBytes(3).toString('hex')}`;
const connection = { endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
const broker = createSqsBroker({ prefix, ...connection, waitTimeSeconds: 1 });
const spec: QueueSpec = { name: 'bench', subscribes: ['bench.event'], retry: retryDefaults, visibilityTimeoutSeconds: 30 };
const body = Buffer.from(
  JSON.stringify({
    id: 'x',
    type: 'bench.event',
    time: new Date().toISOString(),
    data: { ts: '19941114', sender: 'bench', priority: 1, padding: 'x'.repeat(200) },
  }),
);

try {
  await broker.connect();
  await broker.provision(spec);

  let next = 0;
  const publishStarted = performance.now();
  await Promise.all(
    Array.from({ length: publishConcurrency }, async () => {
      while (next < messages) {
        const id = String(next++);
        await broker.publish({ id, type: 'bench.event', body, headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
      }
    }),
  );
  const publishSeconds = (performance.now() - publishStarted) / 1000;

  const depth = await broker.queueDepth(spec);
  if (depth.ready !== messages) throw new Error(`expected ${messages} ready, found ${depth.ready}`);

  let acked = 0;
  const consumeStarted = performance.now();
  await new Promise<void>((resolve, reject) => {
    void broker.consume(
      spec,
      (delivery) => {
        delivery.ack().then(() => {
          if (++acked === messages) resolve();
        }, reject);
      },
      { prefetch },
    );
  });
  const consumeSeconds = (performance.now() - consumeStarted) / 1000;
  const left = await broker.queueDepth(spec);

  console.log(
    JSON.stringify({
      messages,
      publishConcurrency,
      prefetch,
      publishPerSecond: Math.round(messages / publishSeconds),
      consumeAckPerSecond: Math.round(messages / consumeSeconds),
      leftInQueue: left.ready + left.inFlight,
    }),
  );
} finally {
  await broker.close();
  await deleteSqsQueues({ prefix, ...connection }).catch(() => 0);
  emulator.stop();
}
