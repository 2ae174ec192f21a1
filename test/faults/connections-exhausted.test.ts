/**
 * Fault: Postgres refuses connections ("too many connections", SQLSTATE 53300) and terminates the open
 * ones (57P01) for several seconds. That is the infrastructure's fault, not the messages': consumers
 * must wait it out without spending attempts (nothing dead-lettered, every message committed on its
 * first attempt), and the publish function must answer 503 + Retry-After for what needs the database
 * (an Idempotency-Key) while staying ready and publishing what does not.
 *
 * The machine's Postgres serves other tests, so the exhaustion is scoped to a role of this test's own:
 * its connection limit drops to 0 and its sessions are terminated.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import pino from 'pino';
import { createDatabase, type DatabaseHandle } from '@qfn/shared/platform';
import { createPublishApp } from '@qfn/publish';
import { brokerHarnesses } from '../support/brokers';
import { databaseUrl } from '../support/database';
import { waitFor } from '../support/wait';
import { deadLetters, expectExactlyOnce, faultScenario, message, publishEvents, report, superviseReplica, waitForEmptyQueue } from './support';

const messages = 1_000;
const exhaustedMs = 8_000;

describe.each(brokerHarnesses)('Postgres connections exhausted on $kind', (harness) => {
  const setUp = faultScenario(harness);
  const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  let role: string | undefined;
  let appDatabase: DatabaseHandle | undefined;
  afterEach(async () => {
    await appDatabase?.close(0);
    if (role) {
      await admin.unsafe(`alter role "${role}" connection limit -1`);
      await admin.unsafe(`select pg_terminate_backend(pid) from pg_stat_activity where usename = '${role}'`);
      await admin.unsafe(`drop owned by "${role}"`);
      await admin.unsafe(`drop role if exists "${role}"`);
    }
    role = undefined;
  });

  it('waits out the outage without spending attempts; publish answers 503 only where it needs the database', async () => {
    const fn = 'pg-exhausted';
    const { world, spec } = await setUp('pgexhausted', fn, { maxAttempts: 3 });
    role = `${world.prefix}_app`;
    await admin.unsafe(`create role "${role}" login`);
    await admin.unsafe(`grant usage on schema "${world.prefix}" to "${role}"`);
    await admin.unsafe(`grant all on all tables in schema "${world.prefix}" to "${role}"`);
    const roleUrl = (() => {
      const url = new URL(databaseUrl);
      url.username = role;
      url.password = '';
      return url.toString();
    })();
    appDatabase = createDatabase({ url: roleUrl, schema: world.prefix, poolSize: 2 });
    const app = createPublishApp({
      broker: world.broker,
      queueAdmin: world.broker,
      db: appDatabase.db,
      pingDatabase: appDatabase.ping,
      log: pino({ level: 'silent' }),
      maxBodyBytes: 65_536,
    });
    const accepted = new Set<string>();
    const post = async (headers: Record<string, string> = {}) => {
      const response = await app.request('/message/publish', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(message()),
      });
      if (response.status === 202) accepted.add(((await response.clone().json()) as { id: string }).id);
      return response;
    };
    expect((await post({ 'idempotency-key': `${world.prefix}-before` })).status).toBe(202);

    const ids = await publishEvents(world.broker, messages);
    const replica = superviseReplica(() =>
      world.start(fn, {
        DATABASE_URL: roleUrl,
        FIXTURE_WORK_MS: '5',
        FAULT_MAX_ATTEMPTS: '3',
        FAULT_RETRY_DELAY_MS: '100',
        FAULT_MAX_RETRY_DELAY_MS: '400',
        STALL_TIMEOUT_SECONDS: '30',
      }),
    );
    await waitFor('some progress', async () => (await world.effectCount(fn)) >= 100, 30_000, 20);

    await admin.unsafe(`alter role "${role}" connection limit 0`);
    const terminated = await admin.unsafe(`select pg_terminate_backend(pid) from pg_stat_activity where usename = '${role}'`);
    const atOutage = await world.effectCount(fn);
    await sleep(1_000);
    const keyed = await post({ 'idempotency-key': `${world.prefix}-during` });
    const keyedBody = (await keyed.json()) as { error?: string };
    const unkeyed = await post();
    const ready = await app.request('/readyz');
    const readyBody = await ready.json();
    await sleep(exhaustedMs - 1_000);
    await admin.unsafe(`alter role "${role}" connection limit -1`);
    const restoredAt = performance.now();

    expect(keyed.status).toBe(503);
    expect(keyed.headers.get('retry-after')).toBeTruthy();
    expect(keyedBody.error).toBe('database_unavailable');
    expect(unkeyed.status).toBe(202);
    expect(ready.status).toBe(200);
    expect(readyBody).toMatchObject({ broker: true, database: false });

    expect((await post({ 'idempotency-key': `${world.prefix}-during` })).status).toBe(202);
    const all = [...ids, ...accepted];
    await waitFor('every message', async () => (await world.effectCount(fn)) >= all.length, 90_000, 200);
    const recoveredMs = Math.round(performance.now() - restoredAt);
    await waitForEmptyQueue(world.broker, spec, 60_000);
    expect(await deadLetters(world.broker, spec)).toEqual([]);
    await expectExactlyOnce(world, fn, all);
    const rows = await world.effects(fn);
    expect(rows.filter((r) => r.attempt > 1)).toEqual([]);
    const waits = replica.logs().filter((l) => l['msg'] === 'database unavailable; messages wait, no attempt counted').length;
    expect(waits).toBeGreaterThan(0);
    expect(replica.logs().filter((l) => l['msg'] === 'message failed; will retry')).toEqual([]);
    const { code } = await replica.stop();
    expect(code).toBe(0);
    report(`connections-exhausted/${harness.kind}`, {
      messages,
      exhaustedMs,
      terminatedSessions: terminated.length,
      effectsAtOutage: atOutage,
      deadLettered: 0,
      lost: 0,
      attemptsSpent: rows.filter((r) => r.attempt > 1).length,
      databaseWaitsLogged: waits,
      restarts: replica.exits.length,
      recoveredMs,
    });
  }, 180_000);
});
