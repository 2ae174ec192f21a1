import { describe, expect, it } from 'vitest';
import { defaultEventType } from '@qfn/events';
import { encodeEnvelope, uuidv7 } from '@qfn/shared/platform';
import { seedMessage } from '../../local/load/index';
import { uniqueName } from '../support/names';
import { waitFor } from '../support/wait';
import { type EffectsRunOptions, withEffectsRunner } from './scenario';

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
    const options: EffectsRunOptions = {
      name: uniqueName('scalein'),
      backend,
      workMs,
      scaling: { pollingInterval: 1, cooldownPeriod, scaleDownStabilizationWindowSeconds: 0, targetQueueLength: 100, maxReplicaCount: 2 },
      env: { FUNCTION_CONCURRENCY: '5', SHUTDOWN_GRACE_PERIOD_SECONDS: '30' },
    };
    await withEffectsRunner(options, async ({ fnName, runner, decisions, database, publisher }) => {
      for (let i = 0; i < messages; i++) {
        const id = uuidv7();
        await publisher.publish({
          id,
          type: defaultEventType,
          body: encodeEnvelope({ id, type: defaultEventType, time: new Date().toISOString(), data: seedMessage({ sender: 'e2e' }) }),
        });
      }

      const replicas = runner.replicaSet(fnName)!;
      // Every message received by the one replica: nothing ready, all in flight.
      await waitFor('the replica to report 3 messages in flight', () => replicas.status().replicas.some((r) => r.inFlight === messages), 30_000, 50);
      const sql = database.sql;
      await waitFor(
        'every message committed',
        async () => ((await sql`select count(*)::int as n from effects`)[0]!.n as number) >= messages,
        workMs + 30_000,
        200,
      );
      const [effects] =
        await sql`select count(*)::int as rows, count(distinct event_id)::int as distinct, (extract(epoch from max(at)) * 1000)::float8 as last from effects`;
      await waitFor('the scale back to zero', () => decisions.at(-1)?.to === 0 && replicas.status().replicas.length === 0, 30_000, 100);

      console.log(`[scale-in ${backend}] ${decisions.map((d) => `${d.from}→${d.to} at +${d.at - decisions[0]!.at} ms: ${d.reason}`).join(' | ')}`);
      expect(decisions[0]).toMatchObject({ from: 0, to: 1, by: 'keda' });
      const toZero = decisions.find((d) => d.to === 0)!;
      // The replica held its messages for workMs with nothing ready; a scale to zero before they committed would show here.
      expect(toZero.at).toBeGreaterThan(effects!.last);
      expect(decisions.filter((d) => d.to === 0)).toHaveLength(1);
      expect(effects).toMatchObject({ rows: messages, distinct: messages });
    });
  }, 150_000);
});
