/**
 * Fault 4: the process dies after a message's transaction committed and before its ack. The broker
 * redelivers it; the inbox row absorbs the redelivery, so its effect exists exactly once.
 */
import { describe, expect, it } from 'vitest';
import { brokerHarnesses } from '../support/brokers';
import { waitFor } from '../support/wait';
import { deadLetters, expectExactlyOnce, faultScenario, publishEvents, report, terminate, waitForEmptyQueue } from './support';

const messages = 50;

describe.each(brokerHarnesses)('crash between commit and ack on $kind', (harness) => {
  const setUp = faultScenario(harness);

  it('absorbs the redelivery in the inbox: exactly one effect', async () => {
    const fn = 'crash-ack';
    const { world, spec } = await setUp('crashack', fn);
    const ids = await publishEvents(world.broker, messages);
    const victim = ids[10]!;
    const env = { FAULT_CRASH_AFTER_COMMIT_EVENT: victim, LOG_LEVEL: 'debug', FAULT_CONCURRENCY: '1' };

    const first = world.start(fn, env);
    expect(await first.exited).toBe(70);
    expect(first.logs.find((l) => l['msg'] === 'crashing before ack')).toMatchObject({ eventId: victim });
    const committed = await world.effects(fn);
    expect(committed.filter((r) => r.event_id === victim)).toHaveLength(1);

    // The replacement replica, still armed to crash on the victim's first delivery. On RabbitMQ the
    // redelivery stays attempt 1 (a crash is not an attempt); SQS counts every receive.
    const second = world.start(fn, env);
    await waitFor('every message', async () => (await world.effectCount(fn)) >= messages, 60_000);
    await waitFor('the victim acknowledged', () => second.logs.find((l) => l['msg'] === 'message processed' && l['eventId'] === victim));
    await waitForEmptyQueue(world.broker, spec);
    expect(await deadLetters(world.broker, spec)).toEqual([]);
    await expectExactlyOnce(world, fn, ids);
    const redelivery = second.logs.find((l) => l['msg'] === 'message processed' && l['eventId'] === victim)!;
    expect(redelivery).toMatchObject({ duplicate: true, attempt: harness.kind === 'sqs' ? 2 : 1 });
    expect(await terminate(second)).toMatchObject({ code: 0 });
    report(`crash-after-commit/${harness.kind}`, {
      messages,
      committedBeforeCrash: committed.length,
      victimRows: 1,
      redeliveryAttempt: redelivery['attempt'],
      redeliveryDuplicate: redelivery['duplicate'],
    });
  }, 90_000);
});
