/**
 * Fault 3: Postgres goes away mid-stream. The machine's Postgres serves other tests, so the outage is
 * made by a TCP proxy between the function and Postgres: every open connection is reset and new ones
 * are refused for a few seconds. Handlers fail, messages are retried, nothing is acked before its commit.
 */
import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { brokerHarnesses } from '../support/brokers';
import { databaseUrl } from '../support/database';
import { waitFor } from '../support/wait';
import { expectDrainedExactlyOnce, faultScenario, proxiesPerTest, publishEvents, report, superviseReplica, takePostgresAway } from './support';

const messages = 1_000;
const outageMs = 3_000;

describe.each(brokerHarnesses)('Postgres outage on $kind', (harness) => {
  const setUp = faultScenario(harness);
  const proxyTo = proxiesPerTest();

  it('waits out the outage without spending attempts and commits each message exactly once', async () => {
    const proxy = await proxyTo(databaseUrl);
    const fn = 'pg-outage';
    const { world, spec } = await setUp('pgoutage', fn);
    const ids = await publishEvents(world.broker, messages);
    // See network.test.ts: a wedged Postgres client is replaced through the stall watchdog.
    const replica = superviseReplica(() => world.start(fn, { DATABASE_URL: proxy.via(databaseUrl), FIXTURE_WORK_MS: '10', STALL_TIMEOUT_SECONDS: '5' }));
    await waitFor('some progress', async () => (await world.effectCount(fn)) >= 150, 30_000, 20);

    const resetConnections = await takePostgresAway(proxy, world.database.db);
    const atOutage = await world.effectCount(fn);
    await sleep(outageMs);
    const duringOutage = (await world.effectCount(fn)) - atOutage;
    proxy.refuse(false);

    await expectDrainedExactlyOnce(world, fn, spec, ids);
    const retried = replica.logs().filter((l) => l['msg'] === 'message failed; will retry');
    const waited = replica.logs().filter((l) => l['msg'] === 'database unavailable; messages wait, no attempt counted');
    expect(retried.length + waited.length + replica.exits.length).toBeGreaterThan(0);
    expect(duringOutage).toBe(0);
    expect(replica.exits.every((code) => code === 70)).toBe(true);
    const rows = await world.effects(fn);
    const { code, exitMs } = await replica.stop();
    expect(code).toBe(0);
    report(`postgres-outage/${harness.kind}`, {
      messages,
      outageMs,
      resetConnections,
      effectsBeforeOutage: atOutage,
      retriesLogged: retried.length,
      databaseWaitsLogged: waited.length,
      rowsCommittedOnLaterAttempt: rows.filter((r) => r.attempt > 1).length,
      stallRestarts: replica.exits.length,
      exitMs,
    });
  }, 120_000);
});
