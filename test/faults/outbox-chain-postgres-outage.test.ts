/**
 * The chain run-job → job.completed → record-completion while Postgres goes away mid-chain: a TCP
 * proxy between the replicas (and the recovery relay) and Postgres resets every connection and
 * refuses new ones for a few seconds (the machine's Postgres serves other tests). Handlers, inbox
 * writes and outbox relays all fail meanwhile; every job must still end in exactly one result and one
 * completion, nothing may be acked before its commit, and the outbox must drain once Postgres is back.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createDatabase } from '@qfn/shared/platform';
import { brokerHarnesses } from '../support/brokers';
import { databaseUrl } from '../support/database';
import { waitFor } from '../support/wait';
import { chainEntries, type ChainFunction, chainRowCount, chainSpecs, expectChainDrained, publishChainJobs, startRecoveryRelay } from './chain';
import { faultScenario, proxiesPerTest, report, superviseReplica, takePostgresAway } from './support';
import { startFunctionProcess } from '../support/process';

const jobs = 200;
const outageMs = 3_000;

describe.each(brokerHarnesses)('outbox chain across a Postgres outage on $kind', (harness) => {
  const setUp = faultScenario(harness);
  const proxyTo = proxiesPerTest();

  it(`turns ${jobs} jobs into exactly ${jobs} completions though Postgres went away mid-chain`, async () => {
    const proxy = await proxyTo(databaseUrl);
    const { world } = await setUp('chainpg', 'chain-unused');
    for (const spec of chainSpecs) await world.broker.provision(spec);
    const viaProxy = proxy.via(databaseUrl);
    // The publish function's recovery relay reaches Postgres through the proxy too: it loses it as well.
    const relayDatabase = createDatabase({ url: viaProxy, schema: world.prefix, poolSize: 2, applicationName: `${world.prefix}-recovery` });
    const recovery = startRecoveryRelay(relayDatabase.db, world.broker);
    // A wedged Postgres client is replaced through the stall watchdog (see network.test.ts), as a ReplicaSet would.
    const supervise = (fn: ChainFunction) =>
      superviseReplica(() => startFunctionProcess(chainEntries[fn], world.env(fn, { DATABASE_URL: viaProxy, STALL_TIMEOUT_SECONDS: '5', LOG_LEVEL: 'info' })));
    try {
      const ids = await publishChainJobs(world.broker, jobs, 1_000);
      const replicas = { 'run-job': supervise('run-job'), 'record-completion': supervise('record-completion') };
      const started = performance.now();
      await waitFor('a quarter of the completions', async () => (await chainRowCount(world.database.db, 'job_completions')) >= jobs / 4, 120_000, 20);

      const resetConnections = await takePostgresAway(proxy, world.database.db);
      const atOutage = {
        results: await chainRowCount(world.database.db, 'job_results'),
        completions: await chainRowCount(world.database.db, 'job_completions'),
      };
      await sleep(outageMs);
      const duringOutage = {
        results: (await chainRowCount(world.database.db, 'job_results')) - atOutage.results,
        completions: (await chainRowCount(world.database.db, 'job_completions')) - atOutage.completions,
      };
      proxy.refuse(false);

      const elapsedMs = await expectChainDrained(world.database.db, world.broker, ids, started, { completionsMs: 180_000, outboxMs: 60_000, queueMs: 60_000 });
      // Nothing committed while Postgres was away (the proxy is the only way there).
      expect(duringOutage).toEqual({ results: 0, completions: 0 });
      // A replica either waited the outage out or was replaced by its stall watchdog (exit 70), never crashed otherwise.
      for (const replica of Object.values(replicas)) expect(replica.exits.every((code) => code === 70)).toBe(true);
      const stops = await Promise.all(Object.values(replicas).map((r) => r.stop()));
      expect(stops.map((s) => s.code)).toEqual([0, 0]);
      const logs = Object.values(replicas).flatMap((r) => r.logs());
      report(`outbox-chain-postgres-outage/${harness.kind}`, {
        jobs,
        outageMs,
        resetConnections,
        atOutage,
        adoptedByRecovery: recovery.adopted(),
        databaseWaitsLogged: logs.filter((l) => l['msg'] === 'database unavailable; messages wait, no attempt counted').length,
        retriesLogged: logs.filter((l) => l['msg'] === 'message failed; will retry').length,
        stallRestarts: Object.fromEntries(Object.entries(replicas).map(([fn, r]) => [fn, r.exits.length])),
        elapsedMs,
      });
    } finally {
      await recovery.stop();
      await relayDatabase.close(0);
    }
  }, 300_000);
});
