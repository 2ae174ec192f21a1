/**
 * The chain run-job → job.completed → record-completion while RabbitMQ restarts mid-chain
 * (`rabbitmqctl stop_app` / `start_app` on a node of this test's own): both replicas and the
 * recovery relay lose their connections with jobs in flight and outbox rows unsent. Every job must
 * still end in exactly one result and one completion, and the outbox must drain once the broker is back.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { outboxStats } from '@qfn/shared/platform';
import { waitFor } from '../support/wait';
import { chainEntries, type ChainFunction, chainRowCount, chainSpecs, expectChainDrained, publishChainJobs, startRecoveryRelay } from './chain';
import { canStartPrivateNode, privateRabbitScenario } from './rabbitmq-node';
import { report, terminate } from './support';

const jobs = 200;

describe.runIf(canStartPrivateNode())('outbox chain across a RabbitMQ restart', () => {
  const world = privateRabbitScenario('chainrestart');

  it(`turns ${jobs} jobs into exactly ${jobs} completions though the broker went away mid-chain`, async () => {
    const { node, database, broker, env, start: startProcess } = world();
    for (const spec of chainSpecs) await broker.provision(spec);
    const start = (fn: ChainFunction) => startProcess(chainEntries[fn], env({ LOG_LEVEL: 'info' }));
    const recovery = startRecoveryRelay(database.db, broker);
    try {
      const ids = await publishChainJobs(broker, jobs, 1_000);
      const replicas = { 'run-job': start('run-job'), 'record-completion': start('record-completion') };
      await Promise.all(Object.values(replicas).map((r) => r.waitForLog('consuming', 30_000)));
      const started = performance.now();
      // Mid-chain: some jobs completed at both links, most not yet run.
      await waitFor('a quarter of the completions', async () => (await chainRowCount(database.db, 'job_completions')) >= jobs / 4, 120_000, 20);
      const before = { results: await chainRowCount(database.db, 'job_results'), completions: await chainRowCount(database.db, 'job_completions') };
      const outageStarted = performance.now();
      let unsentDuringOutage = 0;
      try {
        await node.stopApp();
        // The replicas go on committing what they hold while the relays cannot send: rows pile up in the outbox.
        const deadline = Date.now() + 3_000;
        while (Date.now() < deadline) {
          unsentDuringOutage = Math.max(unsentDuringOutage, (await outboxStats(database.db)).pending);
          await sleep(100);
        }
      } finally {
        await node.startApp();
      }
      const outageMs = Math.round(performance.now() - outageStarted);

      const elapsedMs = await expectChainDrained(database.db, broker, ids, started, { completionsMs: 180_000, outboxMs: 60_000, queueMs: 60_000 });
      // Nobody had to be restarted: each replica reconnected by itself and stops cleanly.
      for (const replica of Object.values(replicas)) {
        expect(replica.child.exitCode).toBeNull();
        const messages = replica.logs.map((l) => String(l['msg']));
        const lost = messages.findIndex((m) => m.startsWith('broker connection lost'));
        expect(lost).toBeGreaterThanOrEqual(0);
        expect(messages.lastIndexOf('broker connected')).toBeGreaterThan(lost);
      }
      for (const replica of Object.values(replicas)) expect((await terminate(replica)).code).toBe(0);
      const logs = Object.values(replicas).flatMap((r) => r.logs);
      report('outbox-chain-broker-restart/rabbitmq', {
        jobs,
        atOutage: before,
        outageMs,
        unsentOutboxRowsDuringOutage: unsentDuringOutage,
        adoptedByRecovery: recovery.adopted(),
        retriesLogged: logs.filter((l) => l['msg'] === 'message failed; will retry').length,
        elapsedMs,
      });
    } finally {
      await recovery.stop();
    }
  }, 300_000);
});
