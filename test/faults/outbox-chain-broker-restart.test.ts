/**
 * The chain run-job → job.completed → record-completion while RabbitMQ restarts mid-chain
 * (`rabbitmqctl stop_app` / `start_app` on a node of this test's own): both replicas and the
 * recovery relay lose their connections with jobs in flight and outbox rows unsent. Every job must
 * still end in exactly one result and one completion, and the outbox must drain once the broker is back.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRabbitMqBroker, outboxStats } from '@qfn/shared/platform';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { uniqueName } from '../support/names';
import { type FunctionProcess, startFunctionProcess } from '../support/process';
import { waitFor } from '../support/wait';
import {
  chainEntries,
  type ChainFunction,
  chainRowCount,
  chainSpecs,
  expectEachJobCompletedOnce,
  publishChainJobs,
  startRecoveryRelay,
  waitForEmptyOutbox,
} from './chain';
import { canStartPrivateNode, type PrivateRabbitNode, startPrivateRabbitNode } from './rabbitmq-node';
import { deadLetters, report, terminate, waitForEmptyQueue } from './support';

const jobs = 200;

describe.runIf(canStartPrivateNode())('outbox chain across a RabbitMQ restart', () => {
  let node: PrivateRabbitNode;
  let database: TestDatabase;
  const prefix = uniqueName('chainrestart');
  const processes: FunctionProcess[] = [];

  beforeAll(async () => {
    [node, database] = await Promise.all([startPrivateRabbitNode('chainrestart'), createTestDatabase(prefix)]);
  }, 150_000);

  afterAll(async () => {
    for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    await node?.destroy();
    await database?.drop();
  }, 60_000);

  it(`turns ${jobs} jobs into exactly ${jobs} completions though the broker went away mid-chain`, async () => {
    const broker = createRabbitMqBroker({
      url: node.amqpUrl,
      managementUrl: node.managementUrl,
      prefix,
      clientName: `${prefix}-test`,
      connectTimeoutMs: 20_000,
    });
    await broker.connect();
    for (const spec of chainSpecs) await broker.provision(spec);
    const env = {
      BROKER: 'rabbitmq',
      AMQP_URL: node.amqpUrl,
      RABBITMQ_MANAGEMENT_URL: node.managementUrl,
      QUEUE_PREFIX: prefix,
      DATABASE_SCHEMA: prefix,
      LOG_LEVEL: 'info',
    };
    const start = (fn: ChainFunction) => {
      const started = startFunctionProcess(chainEntries[fn], env);
      processes.push(started);
      return started;
    };
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

      await waitFor('every completion', async () => (await chainRowCount(database.db, 'job_completions')) >= jobs, 180_000, 100);
      await waitForEmptyOutbox(database.db);
      for (const spec of chainSpecs) await waitForEmptyQueue(broker, spec, 60_000);
      const elapsedMs = Math.round(performance.now() - started);
      for (const spec of chainSpecs) expect(await deadLetters(broker, spec)).toEqual([]);
      await expectEachJobCompletedOnce(database.db, ids);
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
      await broker.close();
    }
  }, 300_000);
});
