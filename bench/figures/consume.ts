import storeMessage from '@qfn/store-message';
import { openQueueControl } from '../lib/amqp';
import { createBenchEnvironment, type BenchEnvironment } from '../lib/environment';
import { line, type Figure } from '../lib/figure';
import { measureCpu, pidsNamed } from '../lib/cpu';
import { startNode } from '../lib/process';
import { runRawAmqp } from '../lib/raw-amqp';
import { median, sleep } from '../lib/stats';

const messageCount = Number(process.env['BENCH_MESSAGES'] ?? 30_000);

/**
 * Messages per second one store-message replica persists exactly once (inbox row + messages row, acked
 * after commit), from a queue filled beforehand, beside raw amqplib consume + ack of the same messages.
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
    try {
      await environment.provision(storeMessage);
      for (let round = 0; round < context.runs; round++) {
        await fill(environment, messageCount);
        raw.push((await runRawAmqp(environment.env, ['consume', queue, String(messageCount), String(storeMessage.concurrency)])).perSecond);

        await fill(environment, messageCount);
        const replica = startNode([...context.profileArgs('consume'), bundles.get(storeMessage.name)!.file], environment.env);
        const { at: consuming } = await replica.waitForLog('consuming');
        const { result: done, cpuMs } = await measureCpu(
          { replica: replica.child.pid!, postgres: () => pidsNamed('postgres'), rabbitmq: pidsNamed('beam.smp') },
          () => waitForRows(environment, messageCount, 120_000),
        );
        cpu.push(Object.fromEntries(Object.entries(cpuMs).map(([key, ms]) => [key, (ms * 1000) / messageCount])));
        persisted.push(messageCount / ((done - consuming) / 1000));
        await replica.stop();
        const check = await exactlyOnce(environment, queues, queue);
        if (check) throw new Error(`store-message did not persist every message exactly once: ${check}`);
        context.progress(`consume round ${round + 1}: raw amqplib ${Math.round(raw.at(-1)!)} msg/s, store-message ${Math.round(persisted.at(-1)!)} msg/s`);
        await environment.sql`truncate messages, inbox`;
      }
      context.reportProfiles('consume');
      const value = median(persisted);
      const baseline = median(raw);
      const perMessage = (part: string) => Math.round(median(cpu.map((c) => c[part]!)));
      return [
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
