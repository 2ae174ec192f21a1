import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '@qfn/shared';
import type { ScaleDecision } from '../../local/autoscaler/decide';
import { localConfig } from '../../local/config';
import { seedMessage } from '../../local/load/index';
import { LocalRunner } from '../../local/runner';
import { freePort } from '../faults/support';
import { databaseUrl, dropTestSchema } from '../support/database';
import { uniqueName } from '../support/names';
import { amqpUrl, deleteRabbitTopology } from '../support/rabbitmq';
import { waitFor } from '../support/wait';

/**
 * Design (b) of scale-from-zero: the real publish process serves KEDA's external-push scaler, the runner
 * holds StreamIsActive open as KEDA's operator does, and the first message published while store-message
 * is at 0 replicas wakes it at once. The polling interval is 60 s and the AMQP activation trigger is off,
 * so only the push can start the replica before the test's deadline.
 */
const pollingInterval = 60;

describe('push activation on RabbitMQ and Postgres', () => {
  it('starts a function at 0 replicas the moment the publish function sends to its queue', async () => {
    const name = uniqueName('push');
    const config = parseConfig(localConfig, {
      QUEUE_PREFIX: name,
      PORT: String(await freePort()),
      LOCAL_PUSH_SCALER_PORT: String(await freePort()),
      LOCAL_STATUS_PORT: '0',
      LOG_LEVEL: 'info',
      LOCAL_FUNCTIONS: 'store-message',
      LOCAL_SCALING: JSON.stringify({
        'store-message': { minReplicaCount: 0, pollingInterval, cooldownPeriod: 300, pushActivation: true, rabbitmq: { activationOverAmqp: false } },
      }),
      AMQP_URL: amqpUrl,
      DATABASE_URL: databaseUrl,
      DATABASE_SCHEMA: name,
    });
    const runner = new LocalRunner({ config });
    const decisions: ScaleDecision[] = [];
    const looks: ScaleDecision[] = [];
    runner.on('decision', (decision) => {
      looks.push(decision);
      if (decision.from !== decision.to) decisions.push(decision);
    });
    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {}, connection: { search_path: `${name},public` } });
    try {
      await runner.start();
      const replicas = runner.replicaSet('store-message')!;
      await waitFor('the publish function listening', () => (runner.replicaSet('publish')?.status().ready ?? 0) >= 1, 30_000, 50);
      await waitFor("the autoscaler's first look", () => looks.length > 0, 10_000, 20);
      expect(replicas.status().replicas).toHaveLength(0);
      const firstLookAt = looks[0]!.at;

      const response = await fetch(`${runner.publishUrl}/message/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(seedMessage({ sender: 'push' })),
      });
      expect(response.status).toBe(202);
      const { id } = (await response.json()) as { id: string };
      // Bounded well inside the polling interval: a poll would come only at firstLookAt + 60 s.
      await waitFor('the first message stored', async () => (await sql`select 1 from messages where id = ${id}`).length > 0, 30_000, 20);

      console.log(`[push activation] ${decisions.map((d) => `${d.from}→${d.to} at +${d.at - firstLookAt} ms: ${d.reason}`).join(' | ')}`);
      expect(decisions[0]).toMatchObject({ from: 0, to: 1, by: 'keda' });
      expect(decisions[0]!.reason).toContain('push scaler active');
      expect(decisions[0]!.at - firstLookAt).toBeLessThan(pollingInterval * 1000);
    } finally {
      await sql.end();
      await runner.stop();
      await deleteRabbitTopology(name);
      await dropTestSchema(name);
    }
  }, 120_000);
});
