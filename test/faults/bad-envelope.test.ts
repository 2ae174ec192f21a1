/**
 * Fault: envelopes that look like events but can never be processed — a `time` that is not a
 * date-time, an id holding U+0000 (Postgres text cannot store it). They must reach the dead-letter
 * queue at once (attempt 1, an envelope error as the reason) instead of being processed with a bogus
 * time or failing in Postgres attempt after attempt.
 */
import { describe, expect, it } from 'vitest';
import { encodeEnvelope, uuidv7 } from '@qfn/shared/platform';
import { brokerHarnesses } from '../support/brokers';
import { waitFor } from '../support/wait';
import { deadLetters, faultScenario, message, publishEvents, report, terminate, waitForEmptyQueue } from './support';

describe.each(brokerHarnesses)('malformed envelopes on $kind', (harness) => {
  const setUp = faultScenario(harness);

  it('dead-letters each at once with the envelope error', async () => {
    const fn = 'bad-envelope';
    const { world, spec } = await setUp('badenvelope', fn, { maxAttempts: 5 });
    const bad = [
      { label: 'time yesterday', envelope: { time: 'yesterday' } },
      { label: 'time not a date', envelope: { time: 'not a date' } },
      { label: 'U+0000 in the id', envelope: { id: `nul\u0000${uuidv7()}` } },
    ];
    const badIds: string[] = [];
    for (const { envelope } of bad) {
      // The broker's own id attribute stays clean (SQS refuses U+0000 there); the envelope carries the fault.
      const transportId = uuidv7();
      badIds.push(transportId);
      const type = 'message.published';
      await world.broker.publish({
        id: transportId,
        type,
        body: encodeEnvelope({ id: transportId, type, time: new Date().toISOString(), data: message(), ...envelope }),
      });
    }
    const good = await publishEvents(world.broker, 20);
    const consumer = world.start(fn, { FAULT_MAX_ATTEMPTS: '5', FAULT_RETRY_DELAY_MS: '100', FAULT_MAX_RETRY_DELAY_MS: '200' });

    await waitFor('the good messages', async () => (await world.effectCount(fn)) >= good.length, 30_000, 100);
    const letters = await waitFor(
      'three dead letters',
      async () => {
        const found = await deadLetters(world.broker, spec);
        return found.length >= bad.length ? found : undefined;
      },
      30_000,
      200,
    );
    await waitForEmptyQueue(world.broker, spec);
    expect(new Set(letters.map((l) => l.eventId))).toEqual(new Set(badIds));
    for (const letter of letters) {
      expect(letter.attempts).toBe(1);
      // The envelope is a structured CloudEvent: its attributes are checked first.
      expect(letter.reason).toMatch(/^EnvelopeError: not (an event envelope|a CloudEvent \(structured mode\))/);
    }
    const processed = new Set((await world.effects(fn)).map((r) => r.event_id));
    expect(badIds.some((id) => processed.has(id))).toBe(false);
    expect(consumer.logs.filter((l) => l['msg'] === 'message failed; will retry')).toEqual([]);
    expect((await terminate(consumer)).code).toBe(0);
    report(`bad-envelope/${harness.kind}`, { deadLettered: letters.map((l) => ({ attempts: l.attempts, reason: l.reason.slice(0, 80) })) });
  }, 90_000);
});
