/**
 * Fault: a producer reuses an event id for a different payload (a bug, or two systems minting ids).
 * The first payload's effect stands and the second is skipped, as before, but never silently: the
 * inbox keeps a digest of each payload, and every conflict is counted and logged at warn — also for
 * two copies that arrive in the same batch, where the second is a duplicate, not "processed".
 */
import { describe, expect, it } from 'vitest';
import { type Broker, encodeEnvelope, uuidv7 } from '@qfn/shared/platform';
import { brokerHarnesses } from '../support/brokers';
import { waitFor } from '../support/wait';
import { deadLetters, faultScenario, message, report, terminate, waitForEmptyQueue } from './support';

const conflictLog = 'event id arrived again with a different payload; the first one stands';

async function publishAs(broker: Broker, id: string, sender: string): Promise<void> {
  const type = 'message.published';
  await broker.publish({ id, type, body: encodeEnvelope({ id, type, time: new Date().toISOString(), data: message(sender) }) });
}

describe.each(brokerHarnesses)('an event id reused for another payload on $kind', (harness) => {
  const setUp = faultScenario(harness);

  it('keeps the first payload, and counts and logs each conflict at warn', async () => {
    const fn = 'conflicts';
    const { world, spec } = await setUp('conflict', fn);
    // Two copies of one id with different payloads, waiting together: they meet in one batch.
    const inBatch = uuidv7();
    await publishAs(world.broker, inBatch, 'alice');
    await publishAs(world.broker, inBatch, 'mallory');
    const consumer = world.start(fn, { FAULT_BATCH_SIZE: '10', LOG_LEVEL: 'debug' });
    await waitFor('the batch conflict logged', () => consumer.logs.find((l) => l['msg'] === conflictLog && l['eventId'] === inBatch), 30_000, 100);

    // The same id again later, once committed: the inbox's digest tells it apart from a redelivery.
    const later = uuidv7();
    await publishAs(world.broker, later, 'alice');
    await waitFor('the first copy committed', async () => (await world.effects(fn)).some((r) => r.event_id === later), 30_000, 100);
    await publishAs(world.broker, later, 'mallory');
    // A redelivery with the same payload is a plain duplicate, not a conflict.
    await publishAs(world.broker, later, 'alice');
    await waitFor('the later conflict logged', () => consumer.logs.find((l) => l['msg'] === conflictLog && l['eventId'] === later), 30_000, 100);
    await waitForEmptyQueue(world.broker, spec);

    const conflicts = consumer.logs.filter((l) => l['msg'] === conflictLog);
    expect(conflicts.map((l) => l['eventId']).sort()).toEqual([inBatch, later].sort());
    expect(conflicts.every((l) => l['level'] === 'warn')).toBe(true);
    expect(conflicts.at(-1)!['conflicts']).toBe(2);
    const rows = await world.effects(fn);
    expect(rows.filter((r) => r.event_id === inBatch)).toHaveLength(1);
    expect(rows.filter((r) => r.event_id === later)).toHaveLength(1);
    const processed = consumer.logs.filter((l) => l['msg'] === 'message processed' && l['eventId'] === inBatch);
    expect(processed.map((l) => l['duplicate']).sort()).toEqual([false, true]);
    expect(await deadLetters(world.broker, spec)).toEqual([]);
    expect((await terminate(consumer)).code).toBe(0);
    report(`payload-conflict/${harness.kind}`, { conflictsLogged: conflicts.length, effectsPerId: 1 });
  }, 90_000);
});
