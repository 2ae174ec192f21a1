import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultEventType } from '@qfn/events';
import { commonConfig, createBroker, createDatabase, encodeEnvelope, parseConfig, uuidv7, type Broker, type DatabaseHandle } from '@qfn/shared/platform';
import type { ScaleDecision } from '../../local/autoscaler/decide';
import { localConfig } from '../../local/config';
import { seedMessage } from '../../local/load/index';
import { LocalRunner } from '../../local/runner';
import { freePort } from '../faults/support';
import { effectsFunction, effectsTable } from '../fixtures/effects';
import { databaseUrl, dropTestSchema } from '../support/database';
import { uniqueName } from '../support/names';
import { amqpUrl, deleteRabbitTopology } from '../support/rabbitmq';
import { waitFor } from '../support/wait';

/**
 * 0 → 1 → 0 with every message in flight: the queue has nothing ready, but the scaler KEDA reads counts
 * the unacknowledged (RabbitMQ `messages`) or not-visible (SQS `scaleOnInFlight`) messages, so the
 * function stays at 1 until they are done, however short the cooldown; and the replica reports its
 * in-flight count (what picks the replica to stop, and the pod-deletion-cost on a cluster).
 */
// Longer than the cooldown: a scale to zero that ignored the in-flight messages would happen mid-work.
const workMs = 20_000;
const messages = 3;
// Well above RabbitMQ's collect_statistics_interval (5 s): the management API can show the queue empty for that
// long after the first message, longer on a loaded broker (> 6 s seen here at load 10); KEDA has the same lag.
const cooldownPeriod = 15;

describe.each([
  { backend: 'rabbitmq-postgres' as const, label: 'RabbitMQ (unacked counted)' },
  { backend: 'embedded' as const, label: 'the SQS emulator (in-flight counted)' },
])('scale-in on $label', ({ backend }) => {
  it('does not scale to zero while messages are in flight, then does after the cooldown', async () => {
    const name = uniqueName('scalein');
    const fnName = `e2e-${name}`.slice(0, 40);
    const external = backend === 'rabbitmq-postgres';
    const config = parseConfig(localConfig, {
      QUEUE_PREFIX: name,
      PORT: String(await freePort()),
      LOCAL_STATUS_PORT: '0',
      LOG_LEVEL: 'info',
      LOCAL_HPA_SYNC_PERIOD_SECONDS: '1',
      LOCAL_SCALING: JSON.stringify({ [fnName]: { pollingInterval: 1, cooldownPeriod, scaleDownStabilizationWindowSeconds: 0, targetQueueLength: 100, maxReplicaCount: 2 } }),
      ...(external ? { AMQP_URL: amqpUrl, DATABASE_URL: databaseUrl, DATABASE_SCHEMA: name } : {}),
    });
    const runner = new LocalRunner({
      config,
      functions: [
        {
          dir: fileURLToPath(new URL('../fixtures', import.meta.url)),
          declarationFile: fileURLToPath(new URL('../fixtures/effects.ts', import.meta.url)),
          entryFile: fileURLToPath(new URL('../fixtures/effects-main.ts', import.meta.url)),
          declaration: effectsFunction({ name: fnName, workMs }),
          env: { FIXTURE_NAME: fnName, FIXTURE_WORK_MS: String(workMs), FUNCTION_CONCURRENCY: '5', SHUTDOWN_GRACE_PERIOD_SECONDS: '30' },
        },
      ],
      publishEntry: false,
    });
    const decisions: ScaleDecision[] = [];
    runner.on('decision', (decision) => decision.from !== decision.to && decisions.push(decision));
    let database: DatabaseHandle | undefined;
    let publisher: Broker | undefined;
    try {
      await runner.start();
      database = createDatabase({ url: runner.env['DATABASE_URL']!, schema: config.DATABASE_SCHEMA, poolSize: 1, applicationName: 'e2e' });
      await database.db.execute(effectsTable);
      publisher = await createBroker(parseConfig(commonConfig, { ...process.env, ...runner.env }), `${name}-e2e`);
      await publisher.connect();
      for (let i = 0; i < messages; i++) {
        const id = uuidv7();
        await publisher.publish({ id, type: defaultEventType, body: encodeEnvelope({ id, type: defaultEventType, time: new Date().toISOString(), data: seedMessage({ sender: 'e2e' }) }) });
      }

      const replicas = runner.replicaSet(fnName)!;
      // Every message received by the one replica: nothing ready, all in flight.
      await waitFor('the replica to report 3 messages in flight', () => replicas.status().replicas.some((r) => r.inFlight === messages), 30_000, 50);
      const sql = database.sql;
      await waitFor('every message committed', async () => ((await sql`select count(*)::int as n from effects`)[0]!.n as number) >= messages, workMs + 30_000, 200);
      const [effects] = await sql`select count(*)::int as rows, count(distinct event_id)::int as distinct, (extract(epoch from max(at)) * 1000)::float8 as last from effects`;
      await waitFor('the scale back to zero', () => decisions.at(-1)?.to === 0 && replicas.status().replicas.length === 0, 30_000, 100);

      console.log(`[scale-in ${backend}] ${decisions.map((d) => `${d.from}→${d.to} at +${d.at - decisions[0]!.at} ms: ${d.reason}`).join(' | ')}`);
      expect(decisions[0]).toMatchObject({ from: 0, to: 1, by: 'keda' });
      const toZero = decisions.find((d) => d.to === 0)!;
      // The replica held its messages for workMs with nothing ready; a scale to zero before they committed would show here.
      expect(toZero.at).toBeGreaterThan(effects!.last);
      expect(decisions.filter((d) => d.to === 0)).toHaveLength(1);
      expect(effects).toMatchObject({ rows: messages, distinct: messages });
    } finally {
      await database?.close(1);
      await publisher?.close();
      await runner.stop();
      if (external) {
        await deleteRabbitTopology(name);
        await dropTestSchema(name);
      }
    }
  }, 150_000);
});
