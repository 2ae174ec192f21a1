/**
 * Fault: a message that kills its consumer (`process.exit`, out of memory) whenever it is processed,
 * among good messages, with a batch handler. Each crash hands the whole prefetch window back to the
 * broker; redelivered messages must then run alone, so only the culprit reaches the dead-letter
 * queue, with a reason saying it crashed the consumer, and no good message spends its attempts.
 */
import { describe, expect, it } from 'vitest';
import { brokerHarnesses } from '../support/brokers';
import { waitFor } from '../support/wait';
import { deadLetters, expectExactlyOnce, faultScenario, publishEvents, report, superviseReplica, waitForEmptyQueue } from './support';

describe.each(brokerHarnesses)('a crash-looping message on $kind', (harness) => {
  const setUp = faultScenario(harness);

  it('dead-letters only the message that kills the consumer; every good message commits once', async () => {
    const fn = 'crash-loop';
    const { world, spec } = await setUp('crashloop', fn, { maxAttempts: 3 });
    const good = [...(await publishEvents(world.broker, 150))];
    const [culprit] = await publishEvents(world.broker, 1, 'crasher');
    good.push(...(await publishEvents(world.broker, 150)));
    const started = performance.now();
    const replica = superviseReplica(() =>
      world.start(fn, {
        FAULT_BATCH_SIZE: '10',
        FAULT_CONCURRENCY: '100',
        FAULT_MAX_ATTEMPTS: '3',
        FAULT_EXIT_SENDER: 'crasher',
        FIXTURE_WORK_MS: '5',
      }),
    );

    const letters = await waitFor(
      'the culprit in the dead-letter queue and every good message committed',
      async () => {
        const [dead, committed] = await Promise.all([deadLetters(world.broker, spec), world.effectCount(fn)]);
        return dead.length >= 1 && committed >= good.length ? dead : undefined;
      },
      150_000,
      500,
    );
    const recoveredMs = Math.round(performance.now() - started);
    await waitForEmptyQueue(world.broker, spec, 60_000);
    const finalLetters = await deadLetters(world.broker, spec);
    expect(finalLetters.map((l) => l.eventId)).toEqual([culprit]);
    expect(finalLetters[0]!.reason).toMatch(/crashed the consumer/);
    await expectExactlyOnce(world, fn, good);
    expect(replica.exits.length).toBeGreaterThan(0);
    expect(replica.exits.every((code) => code === 137)).toBe(true);
    expect((await replica.stop()).code).toBe(0);
    report(`crash-loop/${harness.kind}`, {
      goodMessages: good.length,
      goodDeadLettered: letters.filter((l) => l.eventId !== culprit).length,
      lost: 0,
      crashes: replica.exits.length,
      culpritReason: finalLetters[0]!.reason,
      recoveredMs,
    });
  }, 240_000);
});
