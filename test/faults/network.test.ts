/**
 * Fault 7: a flaky network between a function and its broker and database. A TCP proxy in front of
 * each delays, stalls and resets connections while the function works; nothing may be lost, nothing
 * processed twice, and the process must ride it out without restarting. The publish side gets the
 * same treatment: it answers 503 for what the broker did not confirm, and every 202 is delivered.
 */
import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { createRabbitMqBroker } from '@qfn/shared/platform';
import { createPublishApp } from '@qfn/publish';
import { brokerHarnesses, rabbitmqHarness } from '../support/brokers';
import { databaseUrl } from '../support/database';
import { amqpUrl } from '../support/rabbitmq';
import type { TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait';
import {
  expectDrainedExactlyOnce,
  faultScenario,
  freePort,
  isReady,
  message,
  proxiesPerTest,
  publishEvents,
  report,
  superviseReplica,
  terminate,
} from './support';

/** Slows the connections down, stalls them, then resets them twice: the resets made, in all. */
async function disturb(proxy: TcpProxy, whileReset: () => Promise<unknown> = () => sleep(500)): Promise<number> {
  proxy.setDelay(30);
  await sleep(1_000);
  proxy.setDelay(0);
  proxy.pause();
  await sleep(2_000);
  proxy.resume();
  await sleep(300);
  const resets = proxy.reset();
  await whileReset();
  return resets + proxy.reset();
}

describe.each(brokerHarnesses)('network faults on $kind', (harness) => {
  const setUp = faultScenario(harness);
  const proxyTo = proxiesPerTest();

  it('rides out a slow, stalled and reset database connection', async () => {
    const db = await proxyTo(databaseUrl);
    const fn = 'net-db';
    const { world, spec } = await setUp('netdb', fn);
    const ids = await publishEvents(world.broker, 1_500);
    const healthPort = await freePort();
    // A connection reset can wedge the Postgres client (postgres.js 3.4.9): the stall watchdog then
    // exits the process and the "ReplicaSet" replaces it; what must hold is that nothing is lost or repeated.
    const replica = superviseReplica(() =>
      world.start(fn, { DATABASE_URL: db.via(databaseUrl), FIXTURE_WORK_MS: '5', HEALTH_PORT: String(healthPort), STALL_TIMEOUT_SECONDS: '5' }),
    );
    await waitFor('some progress', async () => (await world.effectCount(fn)) >= 100, 30_000, 20);
    const resets = await disturb(db);

    await expectDrainedExactlyOnce(world, fn, spec, ids);
    // Replaced only by the stall watchdog (exit 70), never by a crash.
    expect(replica.exits.every((code) => code === 70)).toBe(true);
    await waitFor('the replica to be ready', () => isReady(healthPort), 20_000);
    expect((await replica.stop()).code).toBe(0);
    report(`network-db/${harness.kind}`, {
      messages: ids.length,
      resetConnections: resets,
      retriesLogged: replica.logs().filter((l) => l['msg'] === 'message failed; will retry').length,
      stallRestarts: replica.exits.length,
    });
  }, 120_000);
});

describe('network faults between functions and RabbitMQ', () => {
  const setUp = faultScenario(rabbitmqHarness);
  const proxyTo = proxiesPerTest();

  it('rides out a slow, stalled and reset broker connection without losing or repeating a message', async () => {
    const amqp = await proxyTo(amqpUrl);
    const fn = 'net-amqp';
    const { world, spec } = await setUp('netamqp', fn);
    const ids = await publishEvents(world.broker, 1_500);
    const healthPort = await freePort();
    const consumer = world.start(fn, { AMQP_URL: amqp.via(amqpUrl), FIXTURE_WORK_MS: '5', HEALTH_PORT: String(healthPort), LOG_LEVEL: 'debug' });
    await waitFor('some progress', async () => (await world.effectCount(fn)) >= 100, 30_000, 20);

    const resets = await disturb(amqp, async () => {
      await waitFor('the consumer to reconnect', () => isReady(healthPort), 20_000);
      await sleep(300);
    });

    await expectDrainedExactlyOnce(world, fn, spec, ids);
    expect(consumer.child.exitCode).toBeNull();
    await waitFor('the consumer to be ready', () => isReady(healthPort), 20_000);
    const lost = consumer.logs.filter((l) => l['msg'] === 'broker connection lost; reconnecting').length;
    expect(lost).toBeGreaterThanOrEqual(2);
    const duplicatesAbsorbed = consumer.logs.filter((l) => l['msg'] === 'message processed' && l['duplicate'] === true).length;
    expect((await terminate(consumer)).code).toBe(0);
    report('network-amqp/rabbitmq', { messages: ids.length, resetConnections: resets, connectionsLost: lost, duplicatesAbsorbed });
  }, 120_000);

  it('never answers 202 for a publish the broker did not confirm', async () => {
    const fn = 'net-publish';
    const { world } = await setUp('netpublish', fn);
    const amqp = await proxyTo(amqpUrl);
    // The publish function's own broker connection, through the proxy.
    const proxied = createRabbitMqBroker({ url: amqp.via(amqpUrl), prefix: world.prefix, clientName: `${world.prefix}-proxied` });
    await proxied.connect();
    const app = createPublishApp({
      broker: proxied,
      queueAdmin: proxied,
      db: world.database.db,
      pingDatabase: world.database.ping,
      log: pino({ level: 'silent' }),
      maxBodyBytes: 65_536,
    });
    const consumer = world.start(fn);
    await consumer.waitForLog('consuming', 30_000);

    const accepted: string[] = [];
    const statuses = new Map<number, number>();
    const post = async () => {
      const response = await app.request('/message/publish', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(message()),
      });
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status === 202) accepted.push(((await response.json()) as { id: string }).id);
    };
    const load = (async () => {
      for (let round = 0; round < 60; round++) {
        await Promise.all(Array.from({ length: 20 }, post));
        await sleep(20);
      }
    })();
    await sleep(300);
    amqp.pause();
    await sleep(300);
    amqp.reset();
    await sleep(100);
    amqp.resume();
    await waitFor('the publisher to reconnect', () => proxied.isReady(), 20_000);
    await sleep(200);
    amqp.reset();
    await load;
    await waitFor('the publisher to reconnect', () => proxied.isReady(), 20_000);
    await post();

    expect([...statuses.keys()].every((status) => status === 202 || status === 503)).toBe(true);
    expect(statuses.get(503) ?? 0).toBeGreaterThan(0);
    // Every accepted message arrives exactly once. (A 503 may still have reached the broker: clients retry with an Idempotency-Key.)
    await waitFor(
      'every accepted message',
      async () => {
        const done = new Set((await world.effects(fn)).map((r) => r.event_id));
        return accepted.every((id) => done.has(id));
      },
      30_000,
      200,
    );
    const rows = await world.effects(fn);
    expect(rows.length).toBe(new Set(rows.map((r) => r.event_id)).size);
    await proxied.close();
    expect((await terminate(consumer)).code).toBe(0);
    report('network-publish/rabbitmq', {
      requests: [...statuses.values()].reduce((a, b) => a + b, 0),
      accepted: accepted.length,
      unavailable: statuses.get(503) ?? 0,
      deliveredBeyondAccepted: rows.length - accepted.length,
    });
  }, 120_000);
});
