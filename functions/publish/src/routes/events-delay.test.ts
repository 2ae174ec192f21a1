import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { z } from 'zod';
import { defineEvent, type EventDefinition } from '@qfn/shared/platform';
import { brokerHarnesses } from '../../../../test/support/brokers';
import { useConsumingBroker } from '../../../../test/support/consuming';
import { uniqueName } from '../../../../test/support/names';
import { createTestPublishApp } from '../../../../test/support/publish-app';
import { waitFor } from '../../../../test/support/wait';
import { startPublishRelay } from '../outbox-relay';

const reminded = defineEvent('test.reminded', z.strictObject({ n: z.int() }));
const unheard = defineEvent('test.unheard', z.strictObject({}));
const spec = {
  name: 'reminder',
  subscribes: ['test.reminded'],
  retry: { maxAttempts: 3, initialDelayMs: 100, multiplier: 2, maxDelayMs: 1000 },
  visibilityTimeoutSeconds: 5,
};
const log = pino({ level: 'silent' });

describe.each(brokerHarnesses)('delayed events on $kind', (harness) => {
  const prefix = uniqueName('delay');
  let app: ReturnType<typeof createTestPublishApp>;
  let relay: ReturnType<typeof startPublishRelay> | undefined;
  const arrivals = new Map<string, number>();
  const fixture = useConsumingBroker({
    prefix,
    harness,
    queues: [spec],
    provision: true,
    prefetch: 100,
    onDelivery: (delivery) => arrivals.set(delivery.messageId!, Date.now()),
  });

  const startRelay = () =>
    (relay = startPublishRelay({ db: fixture.database.db, broker: fixture.broker, log, adoptAfterSeconds: 10, pollIntervalMs: 200, telemetry: false }));

  beforeAll(() => {
    app = createTestPublishApp(fixture.broker, fixture.database, {
      events: {
        definitions: new Map<string, EventDefinition>([
          [reminded.type, reminded],
          [unheard.type, unheard],
        ]),
        subscribers: [spec],
      },
    });
    startRelay();
  });

  afterAll(async () => {
    await relay?.stop();
  });

  const post = async (type: string, query: string, body: unknown) => {
    const res = await app.request(`/events/${type}?${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { id: string; deliverAt: string; error: string; issues: { path: string }[] } };
  };

  it('delivers each event at its due time, never before (delaySeconds and deliverAt)', async () => {
    const due = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const query = i % 2 === 0 ? `delaySeconds=${1 + (i % 5) * 0.5}` : `deliverAt=${encodeURIComponent(new Date(Date.now() + 1_500 + i * 50).toISOString())}`;
      const { status, body } = await post('test.reminded', query, { n: i });
      expect(status).toBe(202);
      due.set(body.id, Date.parse(body.deliverAt));
    }
    await waitFor('20 delayed deliveries', () => [...due.keys()].every((id) => arrivals.has(id)) || undefined, 20_000);
    const lateness = [...due].map(([id, at]) => arrivals.get(id)! - at).sort((a, b) => a - b);
    // Postgres' clock decides "due"; it is this machine's clock here.
    expect(lateness[0]!).toBeGreaterThanOrEqual(-5);
    const p50 = lateness[Math.floor(lateness.length / 2)]!;
    console.log(
      `[figures] delayed delivery on ${harness.kind}: lateness after the due time min ${lateness[0]} ms, p50 ${p50} ms, max ${lateness.at(-1)} ms (relay poll 200 ms, 20 events)`,
    );
  });

  it('keeps a scheduled event through a restart: a new relay sends it', async () => {
    await relay!.stop();
    const { status, body } = await post('test.reminded', 'delaySeconds=0.5', { n: 99 });
    expect(status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(arrivals.has(body.id)).toBe(false);
    startRelay();
    await waitFor('the event after the restart', () => arrivals.get(body.id), 10_000);
  });

  it('answers 400 for a bad delay and 422 when nobody subscribes to a delayed type', async () => {
    const negative = await post('test.reminded', 'delaySeconds=-1', { n: 1 });
    expect(negative.status).toBe(400);
    expect(negative.body.issues.map((i) => i.path)).toEqual(['query.delaySeconds']);
    const both = await post('test.reminded', `delaySeconds=1&deliverAt=${encodeURIComponent(new Date().toISOString())}`, { n: 1 });
    expect(both.status).toBe(400);
    const unroutable = await post('test.unheard', 'delaySeconds=5', {});
    expect(unroutable.status).toBe(422);
    expect(unroutable.body.error).toBe('unroutable');
  });
});
