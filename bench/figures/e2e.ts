import storeMessage from '@qfn/store-message';
import { openQueueControl } from '../lib/amqp';
import { createBenchEnvironment } from '../lib/environment';
import { line, type Figure } from '../lib/figure';
import { startBenchRunner } from '../lib/local-runner';
import { runRawAmqp } from '../lib/raw-amqp';
import { median, sleep } from '../lib/stats';
import { runWrk } from '../lib/wrk';

const connections = 100;

/**
 * Sustained POST /message/publish (wrk, 100 connections) → rows stored by store-message, scaled by the
 * local runner (KEDA + HPA rules, pollingInterval 1 s) on this machine's RabbitMQ and Postgres, after a
 * warm-up load the runner has scaled for: accepted messages per second from the first request until the last of them is stored,
 * beside raw amqplib confirmed publishes to the same broker. Every accepted message must be stored once.
 */
export const e2e: Figure = {
  name: 'e2e',
  async run(context) {
    const seconds = Math.max(12, context.seconds * 3);
    const app = await startBenchRunner({
      backend: 'rabbitmq-postgres',
      functions: [storeMessage.name],
      scaling: { [storeMessage.name]: { pollingInterval: 1 } },
    });
    const reference = await createBenchEnvironment('e2eref');
    await reference.provision(storeMessage);
    const queues = await openQueueControl();
    const sustained: number[] = [];
    const raw: number[] = [];
    const notes: string[] = [];
    const acceptedRates: number[] = [];
    const lags: number[] = [];
    let mostReplicasOverall = 0;
    try {
      const count = async () => (await app.sql<{ n: number }[]>`select count(*)::int as n from messages`)[0]!.n;
      const warmUp = await runWrk(app.publishUrl, { connections, seconds: 5 }); // replicas scaled up (cooldownPeriod keeps them)
      while ((await count()) < warmUp.requests) await sleep(100);
      for (let run = 0; run < context.runs; run++) {
        let mostReplicas = 0;
        let watching = true;
        const watcher = (async () => {
          while (watching) {
            mostReplicas = Math.max(mostReplicas, app.runner.replicaSet(storeMessage.name)!.status().ready);
            await sleep(250);
          }
        })();
        await sleep(1_000); // the warm-up's or last run's stragglers
        const before = await count();
        const started = performance.now();
        const load = await runWrk(app.publishUrl, { connections, seconds });
        const accepted = load.requests - load.failures;
        const loadEnded = performance.now();
        while ((await count()) - before < accepted) {
          if (performance.now() - loadEnded > 120_000)
            throw new Error(`only ${(await count()) - before} of ${accepted} accepted messages stored 120 s after the load`);
          await sleep(20);
        }
        const throughAt = performance.now();
        watching = false;
        await watcher;
        // Every accepted message stored, end to end, per second from the first request to the last row.
        sustained.push((accepted / (throughAt - started)) * 1000);
        // wrk does not count the requests still open when it stops (at most one per connection), though they publish.
        await sleep(1000);
        const stored = (await count()) - before;
        const [inbox] = await app.sql<
          { n: number }[]
        >`select (select count(*)::int from inbox where function_name = ${storeMessage.name}) - (select count(*)::int from messages) as n`;
        if (stored > accepted + connections || inbox!.n !== 0)
          throw new Error(`${stored} rows for ${accepted} accepted messages, ${inbox!.n} more inbox rows than rows`);
        notes.push(
          `${Math.round(load.requestsPerSecond)} req/s accepted, up to ${mostReplicas} replicas, last row ${((throughAt - loadEnded) / 1000).toFixed(1)} s after the load`,
        );
        acceptedRates.push(load.requestsPerSecond);
        lags.push((throughAt - loadEnded) / 1000);
        mostReplicasOverall = Math.max(mostReplicasOverall, mostReplicas);
        context.progress(`e2e run ${run + 1}: ${Math.round(sustained.at(-1)!)} stored/s; ${notes.at(-1)}`);
        // The reference publishes to a queue of its own nobody consumes, then it is emptied.
        raw.push(
          (await runRawAmqp(reference.env, ['publish', `${reference.prefix}.events`, 'message.published', String(context.seconds), String(connections)]))
            .perSecond,
        );
        await queues.purge(`${reference.prefix}.${storeMessage.name}`);
      }
    } finally {
      await queues.close();
      await reference.cleanUp();
      await app.stop();
    }
    const value = median(sustained);
    return [
      line({
        name: 'e2e',
        value,
        unit: 'msg/s',
        baseline: { value: median(raw), unit: 'msg/s', what: `raw amqplib confirmed publishes, ${connections} in flight` },
        goal: { text: '≥ 5,000 msg/s', met: value >= 5_000 },
        note:
          `${seconds} s of wrk -c${connections} per run; publish accepted ${Math.round(median(acceptedRates))} req/s, ` +
          `up to ${mostReplicasOverall} store-message replicas, last row ${Math.max(...lags).toFixed(1)} s after the load at most`,
      }),
    ];
  },
};
