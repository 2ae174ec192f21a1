import { fileURLToPath } from 'node:url';
import storeMessage from '@qfn/store-message';
import { openQueueControl } from '../lib/amqp';
import { createBenchEnvironment, type BenchEnvironment } from '../lib/environment';
import { line, type Figure } from '../lib/figure';
import { measureCpu, pidsNamed } from '../lib/cpu';
import { startNode } from '../lib/process';
import { runRawAmqp } from '../lib/raw-amqp';
import { median, sleep } from '../lib/stats';

const messageCount = Number(process.env['BENCH_MESSAGES'] ?? 30_000);
/** The worker's default batch linger (defaultBatchLingerMs in shared/src/runtime/worker.ts, not exported). */
const defaultBatchLingerMs = 20;
const sameWorkWorker = fileURLToPath(new URL('../workers/same-work-consume.ts', import.meta.url));

/**
 * Messages per second one store-message replica persists exactly once (inbox row + messages row, acked
 * after commit), from a queue filled beforehand, beside a hand-written amqplib + postgres.js consumer doing the
 * same work (bench/workers/same-work-consume.ts, timed and checked the same way) and raw amqplib consume + ack.
 */
export const consume: Figure = {
  name: 'consume',
  async run(context) {
    const bundles = await context.bundles();
    const environment = await createBenchEnvironment('consume');
    const queues = await openQueueControl();
    const queue = `${environment.prefix}.${storeMessage.name}`;
    const raw: number[] = [];
    const persisted: number[] = [];
    const cpu: Record<string, number>[] = [];
    const sameWork: number[] = [];
    const sameWorkCpu: Record<string, number>[] = [];
    try {
      await environment.provision(storeMessage);
      for (let round = 0; round < context.runs; round++) {
        await fill(environment, messageCount);
        raw.push((await runRawAmqp(environment.env, ['consume', queue, String(messageCount), String(storeMessage.concurrency)])).perSecond);

        // The same-work baseline and the replica alternate first place, so a burst elsewhere does not always hit one.
        const consumers = [
          {
            label: 'same-work baseline',
            args: [
              '--import',
              'tsx',
              sameWorkWorker,
              queue,
              String(storeMessage.concurrency),
              String(storeMessage.batchSize),
              String(defaultBatchLingerMs),
              String(storeMessage.poolSize),
              storeMessage.name,
            ],
            rates: sameWork,
            cpu: sameWorkCpu,
          },
          { label: 'store-message', args: [...context.profileArgs('consume'), bundles.get(storeMessage.name)!.file], rates: persisted, cpu },
        ];
        for (const consumer of round % 2 === 0 ? consumers : consumers.reverse()) {
          await fill(environment, messageCount);
          const replica = startNode(consumer.args, environment.env);
          const { at: consuming } = await replica.waitForLog('consuming');
          const { result: done, cpuMs } = await measureCpu(
            { replica: replica.child.pid!, postgres: () => pidsNamed('postgres'), rabbitmq: pidsNamed('beam.smp') },
            () => waitForRows(environment, messageCount, 120_000),
          );
          consumer.cpu.push(Object.fromEntries(Object.entries(cpuMs).map(([key, ms]) => [key, (ms * 1000) / messageCount])));
          consumer.rates.push(messageCount / ((done - consuming) / 1000));
          await replica.stop();
          const check = await exactlyOnce(environment, queues, queue);
          if (check) throw new Error(`${consumer.label} did not persist every message exactly once: ${check}`);
          await environment.sql`truncate messages, inbox`;
        }
        context.progress(
          `consume round ${round + 1}: raw amqplib ${Math.round(raw.at(-1)!)} msg/s, same-work baseline ${Math.round(sameWork.at(-1)!)} msg/s, store-message ${Math.round(persisted.at(-1)!)} msg/s`,
        );
      }
      context.reportProfiles('consume', cpu.length ? median(cpu.map((c) => c['replica']!)) : undefined);
      const value = median(persisted);
      const baseline = median(raw);
      const perMessage = (part: string, of = cpu) => Math.round(median(of.map((c) => c[part]!)));
      const cpuNote = (of: Record<string, number>[], who: string) =>
        `CPU per message: ${who} ${perMessage('replica', of)} µs, Postgres ${perMessage('postgres', of)} µs, RabbitMQ ${perMessage('rabbitmq', of)} µs`;
      const sameWorkRate = median(sameWork);
      return [
        line({
          name: 'consume-same-work',
          value,
          unit: 'msg/s',
          baseline: { value: sameWorkRate, unit: 'msg/s', what: 'hand-written amqplib + postgres.js, same prefetch, batches and inbox rows' },
          goal: { text: 'ratio ≥ 0.7', met: value / sameWorkRate >= 0.7 },
          note:
            `prefetch ${storeMessage.concurrency}, ${storeMessage.batchSize} rows a transaction, linger ${defaultBatchLingerMs} ms, ${storeMessage.poolSize} at once, acks after commit; ` +
            `baseline ${cpuNote(sameWorkCpu, 'consumer')}; store-message ${cpuNote(cpu, 'replica')}`,
        }),
        line({
          name: 'consume',
          value,
          unit: 'msg/s',
          baseline: { value: baseline, unit: 'msg/s', what: `raw amqplib consume + ack, prefetch ${storeMessage.concurrency}` },
          goal: { text: '≥ 10,000 msg/s and ratio ≥ 0.7', met: value >= 10_000 && value / baseline >= 0.7 },
          note:
            `${messageCount} queued messages per run, 1 replica, inbox + messages rows, every message checked; ` +
            `CPU per message: replica ${perMessage('replica')} µs, Postgres ${perMessage('postgres')} µs, RabbitMQ ${perMessage('rabbitmq')} µs`,
        }),
      ];
    } finally {
      await queues.close();
      await environment.cleanUp();
    }
  },
};

async function fill(environment: BenchEnvironment, count: number): Promise<void> {
  await runRawAmqp(environment.env, ['fill', `${environment.prefix}.events`, 'message.published', String(count), '1000']);
}

/** performance.now() when the messages table first holds `count` rows (polled every 50 ms). */
async function waitForRows(environment: BenchEnvironment, count: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const [row] = await environment.sql<{ n: number }[]>`select count(*)::int as n from messages`;
    if (row!.n >= count) return performance.now();
    if (performance.now() > deadline) throw new Error(`only ${row!.n} of ${count} messages persisted after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Undefined when every message is stored once with its inbox row and nothing is left queued or dead-lettered; else what is wrong. */
async function exactlyOnce(environment: BenchEnvironment, queues: Awaited<ReturnType<typeof openQueueControl>>, queue: string): Promise<string | undefined> {
  const [counts] = await environment.sql<{ messages: number; inbox: number }[]>`
    select (select count(*)::int from messages) as messages,
           (select count(*)::int from inbox where function_name = ${storeMessage.name}) as inbox`;
  const left = await queues.count(queue);
  const dead = await queues.count(`${queue}.dlq`);
  if (counts!.messages === messageCount && counts!.inbox === messageCount && left === 0 && dead === 0) return undefined;
  return `${counts!.messages} rows, ${counts!.inbox} inbox rows, ${left} left in the queue, ${dead} dead-lettered`;
}
