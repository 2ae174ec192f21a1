/**
 * Fault: the publish function is SIGKILLed while publishing a request with an Idempotency-Key, so
 * the key's claim stays `pending` with nobody to finish it. The claim has a lease: once it runs
 * out, the client's retry takes it over and publishes the SAME event id. Keys belong to the client
 * that sent them, and are forgotten after their TTL.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { and, eq } from 'drizzle-orm';
import { idempotencyKeys } from '@qfn/publish/schema';
import { rabbitmqHarness } from '../support/brokers';
import { amqpUrl } from '../support/rabbitmq';
import { type FunctionProcess, startFunctionProcess } from '../support/process';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait';
import { faultScenario, freePort, message, report, terminate } from './support';

const publishEntry = fileURLToPath(new URL('../../functions/publish/src/main.ts', import.meta.url));
const [tokenA, tokenB] = ['client-a-token-0123456789', 'client-b-token-0123456789'];

describe('Idempotency-Key claims of a publisher that died', () => {
  const setUp = faultScenario(rabbitmqHarness);
  let proxy: TcpProxy | undefined;
  const publishers: FunctionProcess[] = [];
  afterEach(async () => {
    for (const p of publishers.splice(0)) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await proxy?.close();
  });

  it('lets a retry take over an expired lease with the same event id; keys are per client and expire', async () => {
    const fn = 'lease-consumer';
    const { world } = await setUp('idemlease', fn);
    const target = new URL(amqpUrl);
    proxy = await startTcpProxy({ targetHost: target.hostname, targetPort: Number(target.port || 5672) });
    const startPublisher = async (extra: Record<string, string>) => {
      const port = await freePort();
      const publisher = startFunctionProcess(publishEntry, {
        ...world.env(fn),
        PORT: String(port),
        PUBLISH_API_TOKENS: `${tokenA},${tokenB}`,
        REQUEST_TIMEOUT_MS: '1000',
        // Long enough that the second publisher starts and asks within the lease even on a loaded machine.
        IDEMPOTENCY_LEASE_SECONDS: '10',
        ...extra,
      });
      publishers.push(publisher);
      await publisher.waitForLog('listening', 30_000);
      const post = (token: string, key: string, body = message()) =>
        fetch(`http://127.0.0.1:${port}/message/publish`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
          body: JSON.stringify(body),
        });
      return { publisher, post };
    };
    const claimOf = async (key: string) => (await world.database.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key)))[0];
    const key = `order-${world.prefix}`;

    // A publisher whose broker connection stalls mid-publish, killed while the claim is pending.
    const first = await startPublisher({ AMQP_URL: proxy.via(amqpUrl) });
    proxy.pause();
    const hanging = first.post(tokenA, key).catch(() => undefined);
    const pending = await waitFor('the claim pending', async () => ((await claimOf(key))?.state === 'pending' ? claimOf(key) : undefined), 10_000, 50);
    first.publisher.child.kill('SIGKILL');
    await first.publisher.exited;
    await hanging;
    const killedAt = performance.now();

    const second = await startPublisher({ IDEMPOTENCY_KEY_TTL_SECONDS: '60' });
    const early = await second.post(tokenA, key);
    const earlyStatus = early.status;
    const retried = await waitFor(
      'the lease to run out and the retry to publish',
      async () => {
        const response = await second.post(tokenA, key);
        return response.status === 202 ? ((await response.json()) as { id: string }) : undefined;
      },
      30_000,
      250,
    );
    const takenOverMs = Math.round(performance.now() - killedAt);
    expect(earlyStatus).toBe(409);
    expect(retried.id).toBe(pending!.eventId);
    const replay = await second.post(tokenA, key);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.json()).toEqual({ id: pending!.eventId });

    // Client B sending A's key and body gets an event of its own.
    const other = await second.post(tokenB, key);
    expect(other.status).toBe(202);
    const otherId = ((await other.json()) as { id: string }).id;
    expect(otherId).not.toBe(pending!.eventId);

    // After the TTL the key is forgotten.
    const third = await startPublisher({ IDEMPOTENCY_KEY_TTL_SECONDS: '4', IDEMPOTENCY_LEASE_SECONDS: '2' });
    const ttlKey = `ttl-${world.prefix}`;
    const firstTtl = ((await (await third.post(tokenA, ttlKey)).json()) as { id: string }).id;
    expect(((await (await third.post(tokenA, ttlKey)).json()) as { id: string }).id).toBe(firstTtl);
    await sleep(5_000);
    const afterTtl = await third.post(tokenA, ttlKey);
    expect(afterTtl.status).toBe(202);
    const afterTtlId = ((await afterTtl.json()) as { id: string }).id;
    expect(afterTtlId).not.toBe(firstTtl);
    const rows = await world.database.db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.key, ttlKey)));
    expect(rows.map((r) => r.eventId)).toEqual([afterTtlId]);

    for (const p of [second.publisher, third.publisher]) expect((await terminate(p)).code).toBe(0);
    report('idempotency-lease/rabbitmq', {
      leaseSeconds: 10,
      answeredWhileLeased: earlyStatus,
      takenOverMs,
      sameEventId: retried.id === pending!.eventId,
      otherClientGotOwnId: otherId !== pending!.eventId,
    });
  }, 120_000);
});
