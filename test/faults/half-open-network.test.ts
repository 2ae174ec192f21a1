/**
 * Fault: a half-open network. The consumer's broker connection breaks, and its reconnects reach a
 * peer that accepts TCP and never answers the AMQP handshake (a stuck proxy, a broker that accepts
 * and hangs). Each attempt must time out and destroy its socket, reconnects must keep trying, and
 * liveness must fail while it lasts; once the network heals, everything is consumed.
 */
import { describe, expect, it } from 'vitest';
import { rabbitmqHarness } from '../support/brokers';
import { amqpUrl } from '../support/rabbitmq';
import { waitFor } from '../support/wait';
import { deadLetters, expectExactlyOnce, faultScenario, freePort, proxiesPerTest, publishEvents, report, terminate, waitForEmptyQueue } from './support';

async function status(port: number, path: string): Promise<number | undefined> {
  try {
    return (await fetch(`http://127.0.0.1:${port}${path}`)).status;
  } catch {
    return undefined;
  }
}

describe('half-open network between a function and RabbitMQ', () => {
  const setUp = faultScenario(rabbitmqHarness);
  const proxyTo = proxiesPerTest();

  it('times out handshakes that are never answered, fails liveness meanwhile, and consumes everything once the network heals', async () => {
    const proxy = await proxyTo(amqpUrl);
    const fn = 'half-open';
    const { world, spec } = await setUp('halfopen', fn);
    const healthPort = await freePort();
    const consumer = world.start(fn, {
      AMQP_URL: proxy.via(amqpUrl),
      HEALTH_PORT: String(healthPort),
      BROKER_CONNECT_TIMEOUT_SECONDS: '2',
      BROKER_LIVENESS_TIMEOUT_SECONDS: '4',
    });
    await consumer.waitForLog('consuming', 30_000);
    expect(await status(healthPort, '/healthz')).toBe(200);

    proxy.blackhole(true);
    proxy.reset();
    const lostAt = performance.now();
    const ids = await publishEvents(world.broker, 300);
    await waitFor('liveness to fail while the broker cannot be reached', async () => (await status(healthPort, '/healthz')) === 503, 30_000, 200);
    const livenessFailedMs = Math.round(performance.now() - lostAt);
    // Several attempts meet the black hole: each one must give up by itself.
    await waitFor(
      'two timed-out connection attempts',
      () => consumer.logs.filter((l) => l['msg'] === 'broker reconnect failed' && String(l['err']).includes('timed out')).length >= 2,
      30_000,
      200,
    );
    expect(await world.effectCount(fn)).toBe(0);

    proxy.blackhole(false);
    const healedAt = performance.now();
    await waitFor('every message consumed after the network healed', async () => (await world.effectCount(fn)) >= ids.length, 60_000, 200);
    const recoveredMs = Math.round(performance.now() - healedAt);
    await waitForEmptyQueue(world.broker, spec);
    await expectExactlyOnce(world, fn, ids);
    expect(await deadLetters(world.broker, spec)).toEqual([]);
    await waitFor('liveness back', async () => (await status(healthPort, '/healthz')) === 200, 10_000, 100);
    expect(consumer.child.exitCode).toBeNull();
    const timedOut = consumer.logs.filter((l) => l['msg'] === 'broker reconnect failed' && String(l['err']).includes('timed out')).length;
    expect((await terminate(consumer)).code).toBe(0);
    report('half-open-network/rabbitmq', { messages: ids.length, lost: 0, timedOutAttempts: timedOut, livenessFailedMs, recoveredAfterHealMs: recoveredMs });
  }, 150_000);
});
