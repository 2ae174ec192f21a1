/**
 * Fault 2: RabbitMQ restarted mid-stream (`rabbitmqctl stop_app` / `start_app`). Publishers and
 * consumers reconnect by themselves; while the broker is away the publish endpoint answers 503, and
 * it never answers 202 for a message the broker did not confirm: every 202 is processed exactly once.
 *
 * The restart happens on a RabbitMQ node of this test's own (own name, ports and data directory),
 * never on the machine's shared broker, so test files running beside it are not disturbed.
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '../support/wait';
import { canStartPrivateNode, privateRabbitScenario } from './rabbitmq-node';
import { deadLetters, faultEntry, faultSpec, freePort, isReady, message, report, terminate, waitForEmptyQueue } from './support';

const publishEntry = fileURLToPath(new URL('../../functions/publish/src/main.ts', import.meta.url));

describe.runIf(canStartPrivateNode())('RabbitMQ restarted mid-stream', () => {
  const world = privateRabbitScenario('brokerrestart');

  it('answers 503 while the broker is away, reconnects everyone, and processes every 202 exactly once', async () => {
    const { node, database, broker, env, start } = world();
    const fn = 'restart-survivor';
    const spec = faultSpec(fn);
    await broker.provision(spec);
    const [publishPort, healthPort] = [await freePort(), await freePort()];
    const publisher = start(publishEntry, env({ PORT: String(publishPort) }));
    const consumer = start(faultEntry, env({ FIXTURE_NAME: fn, FIXTURE_WORK_MS: '2', HEALTH_PORT: String(healthPort) }));
    await Promise.all([publisher.waitForLog('listening', 30_000), consumer.waitForLog('consuming', 30_000)]);

    const accepted: string[] = [];
    const statuses = new Map<number, number>();
    let running = true;
    const client = async () => {
      while (running) {
        const response = await fetch(`http://127.0.0.1:${publishPort}/message/publish`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(message()),
        });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const body = (await response.json()) as { id?: string };
        if (response.status === 202) accepted.push(body.id!);
        else await sleep(20);
      }
    };
    const clients = Array.from({ length: 8 }, client);

    await waitFor('some accepted messages', () => accepted.length >= 200, 30_000, 20);
    const acceptedBeforeOutage = accepted.length;
    const outageStarted = performance.now();
    let outageMs: number;
    try {
      await node.stopApp();
      await waitFor('a 503 while the broker is away', () => (statuses.get(503) ?? 0) > 0, 10_000, 20);
      await sleep(1_000);
    } finally {
      await node.startApp();
      outageMs = Math.round(performance.now() - outageStarted);
    }
    const acceptedDuringOutage = accepted.length - acceptedBeforeOutage;
    await waitFor('the publish function to be ready again', async () => (await fetch(`http://127.0.0.1:${publishPort}/readyz`)).status === 200, 30_000, 100);
    const reconnectedMs = Math.round(performance.now() - outageStarted);
    const afterRestart = accepted.length;
    await waitFor('messages accepted after the restart', () => accepted.length >= afterRestart + 200, 30_000, 20);
    running = false;
    await Promise.all(clients);

    expect([...statuses.keys()].sort()).toEqual([202, 503]);
    const done = async () => {
      const rows = (await database.sql`select event_id from effects where function_name = ${fn}`) as unknown as { event_id: string }[];
      return rows.map((r) => r.event_id);
    };
    await waitFor(
      'every accepted message processed',
      async () => {
        const ids = new Set(await done());
        return accepted.every((id) => ids.has(id));
      },
      60_000,
      200,
    );
    await waitForEmptyQueue(broker, spec);
    const rows = await done();
    expect(rows.length).toBe(new Set(rows).size);
    expect(await deadLetters(broker, spec)).toEqual([]);
    await waitFor('the consumer to be ready again', () => isReady(healthPort), 30_000);
    expect(publisher.child.exitCode).toBeNull();
    expect(consumer.child.exitCode).toBeNull();
    expect((await terminate(publisher)).code).toBe(0);
    expect((await terminate(consumer)).code).toBe(0);
    report('broker-restart/rabbitmq', {
      accepted: accepted.length,
      unavailable: statuses.get(503),
      acceptedWhileStopping: acceptedDuringOutage,
      processed: rows.length,
      processedBeyondAccepted: rows.length - accepted.length,
      outageMs,
      readyAgainMs: reconnectedMs,
    });
  }, 180_000);
});
