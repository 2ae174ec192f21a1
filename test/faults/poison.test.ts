/**
 * Fault 5: poison messages among good ones. Each reaches the dead-letter queue with its reason
 * (after the configured attempts when it keeps failing, at once when it can never be valid), and
 * the good messages around it are not held up behind it.
 */
import { describe, expect, it } from 'vitest';
import { encodeEnvelope, uuidv7 } from '@qfn/shared/platform';
import { brokerHarnesses } from '../support/brokers';
import { waitFor } from '../support/wait';
import { deadLetters, expectExactlyOnce, faultScenario, message, publishEvents, report, terminate, waitForEmptyQueue } from './support';

const good = 300;
const retry = { maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 2_000 };

describe.each(brokerHarnesses)('poison messages on $kind', (harness) => {
  const setUp = faultScenario(harness);

  it('dead-letters each poison message with its reason while the good ones flow past', async () => {
    const fn = 'poisoned';
    const { world, spec } = await setUp('poison', fn, retry);
    const broker = world.broker;
    const raw = (id: string, body: Buffer) => broker.publish({ id, type: 'message.published', body });

    // The poison goes first, so anything queued behind it would wait for its retries.
    const failing = uuidv7();
    const invalid = uuidv7();
    const garbage = uuidv7();
    await raw(failing, encodeEnvelope({ id: failing, type: 'message.published', time: new Date().toISOString(), data: message('mallory') }));
    await raw(invalid, encodeEnvelope({ id: invalid, type: 'message.published', time: new Date().toISOString(), data: { ...message(), priority: 'high' } }));
    await raw(garbage, Buffer.from('\u0000not json at all'));
    const ids = await publishEvents(broker, good);

    const consumer = world.start(fn, {
      FAULT_FAIL_SENDER: 'mallory',
      FAULT_MAX_ATTEMPTS: String(retry.maxAttempts),
      FAULT_RETRY_DELAY_MS: String(retry.initialDelayMs),
      FAULT_MAX_RETRY_DELAY_MS: String(retry.maxDelayMs),
    });
    const started = performance.now();
    await waitFor('every good message', async () => (await world.effectCount(fn)) >= good, 30_000, 20);
    const goodDoneMs = Math.round(performance.now() - started);
    const letters = await waitFor(
      'three dead letters',
      async () => {
        const found = await deadLetters(broker, spec);
        return found.length >= 3 ? found : undefined;
      },
      30_000,
      200,
    );
    const poisonDoneMs = Math.round(performance.now() - started);

    expect(letters).toHaveLength(3);
    const byId = new Map(letters.map((l) => [l.eventId, l]));
    expect(byId.get(failing)).toMatchObject({ attempts: 3 });
    expect(byId.get(failing)!.reason).toMatch(/failed 3 of 3 attempts; last error: Error: sender mallory always fails/);
    expect(byId.get(invalid)).toMatchObject({ attempts: 1 });
    expect(byId.get(invalid)!.reason).toMatch(/schema validation failed.*priority/s);
    expect(byId.get(garbage)).toMatchObject({ attempts: 1 });
    expect(byId.get(garbage)!.reason).toMatch(/not JSON/);
    expect(byId.get(garbage)!.body.toString()).toBe('\u0000not json at all');

    await expectExactlyOnce(world, fn, ids);
    // Not delayed behind it: every good message committed before the retried poison was given up on.
    const lastGood = Math.max(...(await world.effects(fn)).map((r) => r.atMs));
    expect(lastGood).toBeLessThan(Date.parse(byId.get(failing)!.deadLetteredAt!));
    await waitForEmptyQueue(broker, spec);
    expect(consumer.child.exitCode).toBeNull();
    expect(await terminate(consumer)).toMatchObject({ code: 0 });
    report(`poison/${harness.kind}`, {
      good,
      poison: letters.map((l) => ({ attempts: l.attempts, reason: l.reason.slice(0, 60) })),
      goodDoneMs,
      poisonDeadLetteredMs: poisonDoneMs,
    });
  }, 90_000);
});
