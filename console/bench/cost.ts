/**
 * What an open console costs the publish function: `POST /message/publish` req/s (wrk, 100 connections)
 * with no console open and with pages streaming from it (Server-Sent Events clients holding the admin
 * token, as the page does), alternated in the same run; plus the publish process's CPU while idle with
 * and without watchers. Needs RabbitMQ (management plugin), Postgres and wrk, as `npm run bench`.
 *
 *   npx tsx console/bench/cost.ts [--seconds 10] [--runs 3] [--watchers 3] [--inbox-rows 200000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadFunctions } from '@qfn/tooling/functions';
import { openQueueControl } from '../../bench/lib/amqp';
import { bundleFunction } from '../../bench/lib/bundles';
import { cpuMs, measureCpu, pidsNamed } from '../../bench/lib/cpu';
import { createBenchEnvironment } from '../../bench/lib/environment';
import { freePort } from '../../bench/lib/ports';
import { startNode } from '../../bench/lib/process';
import { median } from '../../bench/lib/stats';
import { runWrk } from '../../bench/lib/wrk';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    watchers: { type: 'string', default: '3' },
    'inbox-rows': { type: 'string', default: '200000' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log('usage: npx tsx console/bench/cost.ts [--seconds 10] [--runs 3] [--watchers 3] [--inbox-rows 200000]');
  process.exit(0);
}
const seconds = Number(values.seconds);
const runs = Number(values.runs);
const watcherCount = Number(values.watchers);
const token = `console-bench-${Date.now()}-token`;

/** A console page's stream: reads and discards everything, as the page keeps it open. */
function openWatcher(url: string): { close(): void; bytes: () => number } {
  const controller = new AbortController();
  let bytes = 0;
  void fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal })
    .then(async (response) => {
      if (response.status !== 200) throw new Error(`console stream answered ${response.status}`);
      for await (const chunk of response.body!) bytes += (chunk as Uint8Array).length;
    })
    .catch((error: unknown) => {
      if (!controller.signal.aborted) console.error(`watcher failed: ${String(error)}`);
    });
  return { close: () => controller.abort(), bytes: () => bytes };
}

const outDir = mkdtempSync(join(tmpdir(), 'qfn-console-bench-'));
const environment = await createBenchEnvironment('console');
try {
  const functions = await loadFunctions();
  await environment.provision(...functions.map((fn) => fn.declaration));
  // An inbox that is not empty: the console's processed/s and lag query reads it every couple of seconds.
  await environment.sql.unsafe(
    `insert into inbox (function_name, event_id, processed_at) select 'store-message', 'bench-' || g, now() - interval '1 hour' from generate_series(1, ${Number(values['inbox-rows'])}) g`,
  );
  const bundle = await bundleFunction('publish', 'functions/publish/src/main.ts', outDir, { splitting: true, minify: true });
  const port = await freePort();
  const publish = startNode([bundle.file], { ...environment.env, PORT: String(port), ADMIN_API_TOKEN: token, LOG_LEVEL: 'warn' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const url = `http://127.0.0.1:${port}/message/publish`;
  const streamUrl = `http://127.0.0.1:${port}/console/api/stream`;
  const pid = publish.child.pid!;

  const idleCpu = async (label: string) => {
    const before = cpuMs(pid);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const perSecond = (cpuMs(pid) - before) / 10;
    console.log(`console cost: publish idle, ${label}: ${perSecond.toFixed(1)} ms CPU per second`);
    return perSecond;
  };
  await idleCpu('no console open');
  let watchers = Array.from({ length: watcherCount }, () => openWatcher(streamUrl));
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  await idleCpu(`${watcherCount} consoles open`);
  watchers.forEach((w) => w.close());

  // Nothing consumes here: empty the queue between runs, or a growing queue slows RabbitMQ run after run.
  const queues = await openQueueControl();
  const queue = `${environment.prefix}.${functions.find((fn) => fn.declaration.subscribes.includes('message.published'))!.declaration.name}`;
  await runWrk(url, { connections: 100, seconds: 2 }); // JIT warm-up
  await queues.purge(queue);
  const without: number[] = [];
  const withConsole: number[] = [];
  for (let round = 0; round < runs; round++) {
    for (const open of round % 2 === 0 ? [false, true] : [true, false]) {
      if (open) {
        watchers = Array.from({ length: watcherCount }, () => openWatcher(streamUrl));
        await new Promise((resolve) => setTimeout(resolve, 2_000));
      }
      const { result, cpuMs: cpu } = await measureCpu({ publish: pid, rabbitmq: () => pidsNamed('beam.smp') }, () =>
        runWrk(url, { connections: 100, seconds }),
      );
      const received = watchers.reduce((sum, w) => sum + w.bytes(), 0);
      if (open) watchers.forEach((w) => w.close());
      (open ? withConsole : without).push(result.requestsPerSecond);
      console.log(
        `console cost: run ${round + 1} ${open ? `${watcherCount} consoles open` : 'no console   '}: ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.p99Ms} ms, publish CPU ${Math.round((cpu['publish']! * 1000) / result.requests)} µs/request${result.failures ? `, ${result.failures} FAILED` : ''}${open ? `, ${received} bytes streamed` : ''}`,
      );
      await queues.purge(queue);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  await queues.close();
  const a = median(without);
  const b = median(withConsole);
  console.log(
    `bench console-cost: ${Math.round(b)} req/s with ${watcherCount} consoles open (baseline ${Math.round(a)} req/s without, ratio ${(b / a).toFixed(2)})`,
  );
  await publish.stop();
} finally {
  await environment.cleanUp();
  rmSync(outDir, { recursive: true, force: true });
}
