/**
 * Fault: a RabbitMQ memory alarm (flow control). The broker blocks every connection that publishes
 * until memory is freed, which needs consumers to drain queues. A consumer that publishes a retry on
 * the connection its acks use would stop acking, so nothing could drain: consumers must publish on
 * a connection of their own. The publish function must say "not ready" and answer new requests at once
 * with 503 + Retry-After instead of hanging.
 *
 * The alarm is raised on a RabbitMQ node of this test's own, never on the machine's shared broker.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRabbitMqBroker } from '@qfn/shared/platform';
import type { TestDatabase } from '../support/database';
import { createTestPublishApp } from '../support/publish-app';
import { waitFor } from '../support/wait';
import { canStartPrivateNode, privateRabbitScenario } from './rabbitmq-node';
import { deadLetters, faultEntry, faultSpec, message, publishEvents, report, terminate, waitForEmptyQueue } from './support';

describe.runIf(canStartPrivateNode())('RabbitMQ memory alarm', () => {
  const world = privateRabbitScenario('alarm');
  let alarmRaised = false;
  // Registered after the scenario, so it runs before the node's teardown (after-hooks run last-registered first).
  afterAll(async () => {
    if (!alarmRaised) return;
    const { node } = world();
    await node.rabbitmqctl('set_vm_memory_high_watermark', '0.4').catch(() => {});
  }, 60_000);

  it('keeps consuming and acking while publishes are blocked; the publish function answers 503 at once', async () => {
    const { node, prefix, database, broker, env, start } = world();
    const fn = 'alarm-drain';
    const spec = faultSpec(fn, { maxAttempts: 3 });
    await broker.provision(spec);
    // Every 20th message fails, so retries are published from the first seconds of the drain on.
    const good: string[] = [];
    const flaky: string[] = [];
    for (let round = 0; round < 100; round++) {
      good.push(...(await publishEvents(broker, 19)));
      flaky.push(...(await publishEvents(broker, 1, 'flaky')));
    }

    // The publish function's own connection, which has published before the alarm.
    const publishBroker = createRabbitMqBroker({ url: node.amqpUrl, managementUrl: node.managementUrl, prefix, clientName: `${prefix}-publish` });
    await publishBroker.connect();
    const app = createTestPublishApp(publishBroker, database, { maxBodyBytes: 65_536, protection: { requestTimeoutMs: 3_000 } });
    const post = () => app.request('/message/publish', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message()) });
    expect((await post()).status).toBe(202);

    await node.rabbitmqctl('set_vm_memory_high_watermark', '0.0001');
    alarmRaised = true;
    const alarmAt = performance.now();
    // The consumer starts during the alarm; messages from "flaky" fail, so it has retries to publish.
    const consumer = start(faultEntry, env({ FIXTURE_NAME: fn, FAULT_FAIL_SENDER: 'flaky', FAULT_MAX_ATTEMPTS: '3', FAULT_CONCURRENCY: '20' }));
    await consumer.waitForLog('consuming', 30_000);

    // A request that blocks the publisher's connection: answered when the alarm is over, or timed out.
    const firstDuringAlarm = post();
    await waitFor('the publish function to report not ready', async () => (await app.request('/readyz')).status === 503, 30_000, 100);
    const duringAlarm = await post();
    expect(duringAlarm.status).toBe(503);
    expect(duringAlarm.headers.get('retry-after')).toBe('5');
    expect(await duringAlarm.json()).toMatchObject({ error: 'broker_blocked' });

    // With its acks on a connection that never publishes, the consumer drains the queue during the alarm.
    await waitFor('every good message committed during the alarm', async () => (await effects(database, fn)).size >= good.length, 90_000, 250);
    const drainedDuringAlarmMs = Math.round(performance.now() - alarmAt);
    await waitFor('the consumer to log the block', () => consumer.logs.some((l) => l['msg'] === 'broker blocked publishing (resource alarm)'), 20_000);

    await node.rabbitmqctl('set_vm_memory_high_watermark', '0.4');
    alarmRaised = false;
    const clearedAt = performance.now();
    await waitFor('the publish function ready again', async () => (await app.request('/readyz')).status === 200, 30_000, 100);
    const readyAgainMs = Math.round(performance.now() - clearedAt);
    const firstStatus = (await firstDuringAlarm).status;
    expect([202, 503]).toContain(firstStatus);
    expect((await post()).status).toBe(202);

    await waitFor('the flaky messages dead-lettered after their attempts', async () => (await deadLetters(broker, spec)).length >= flaky.length, 60_000, 250);
    await waitForEmptyQueue(broker, spec, 60_000);
    const letters = await deadLetters(broker, spec);
    expect(new Set(letters.map((l) => l.eventId))).toEqual(new Set(flaky));
    expect(letters.every((l) => l.reason.startsWith('failed 3 of 3 attempts'))).toBe(true);
    const committed = await effects(database, fn);
    for (const id of good) expect(committed.has(id)).toBe(true);
    expect(consumer.child.exitCode).toBeNull();
    expect((await terminate(consumer)).code).toBe(0);
    await publishBroker.close();
    report('broker-alarm/rabbitmq', {
      goodMessages: good.length,
      goodDeadLettered: letters.filter((l) => !flaky.includes(l.eventId!)).length,
      lost: good.filter((id) => !committed.has(id)).length,
      drainedDuringAlarmMs,
      publishReadyAgainAfterClearMs: readyAgainMs,
      requestBlockingTheConnection: firstStatus,
    });
  }, 240_000);
});

async function effects(database: TestDatabase, fn: string): Promise<Set<string>> {
  const rows = (await database.sql`select distinct event_id from effects where function_name = ${fn}`) as unknown as { event_id: string }[];
  return new Set(rows.map((r) => r.event_id));
}
