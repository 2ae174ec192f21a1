import { describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { type Delivery } from '../queue/types';
import { defineEvent } from '../events/define';
import { outbox } from '../db/schema';
import { sqsHarness } from '../../../test/support/brokers';
import { useConsumingBroker } from '../../../test/support/consuming';
import { uniqueName } from '../../../test/support/names';
import { waitFor } from '../../../test/support/wait';
import { childEventId } from './child-id';
import { outboxPublisher } from './publisher';
import { OutboxRelay, outboxStats } from './relay';

const noted = defineEvent('test.noted', z.strictObject({ n: z.int() }));
const spec = {
  name: 'noter',
  subscribes: ['test.noted'],
  retry: { maxAttempts: 3, initialDelayMs: 100, multiplier: 2, maxDelayMs: 1000 },
  visibilityTimeoutSeconds: 5,
};

/** An outbox row as a handler's ctx.publish writes it, inserted straight into the table. */
const outboxRow = (id: string, type: string, data: unknown, source = 'noter') => ({
  id,
  type,
  body: JSON.stringify({ id, type, time: new Date().toISOString(), data }),
  source,
});

/** Lets the relays drain the table side by side until each finds nothing; what each one sent. */
const drainTogether = (relays: OutboxRelay[]) =>
  Promise.all(
    relays.map(async (relay) => {
      let taken = 0;
      for (let n = await relay.drainOnce(); n > 0; n = await relay.drainOnce()) taken += n;
      return taken;
    }),
  );

describe('childEventId', () => {
  it('is the same for the same parent and position, and a UUID', () => {
    expect(childEventId('p', 0)).toBe(childEventId('p', 0));
    expect(childEventId('p', 0)).not.toBe(childEventId('p', 1));
    expect(childEventId('p', 0)).not.toBe(childEventId('q', 0));
    expect(childEventId('p', 0)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('the outbox (Postgres + RabbitMQ)', () => {
  const prefix = uniqueName('outbox');
  const received: Delivery[] = [];
  const fixture = useConsumingBroker({ prefix, queues: [spec], provision: true, prefetch: 500, onDelivery: (delivery) => received.push(delivery) });

  const unsent = async () => (await outboxStats(fixture.database.db)).pending;

  it('writes nothing when the handler transaction rolls back, one row per call when it commits', async () => {
    await expect(
      fixture.database.db.transaction(async (tx) => {
        await outboxPublisher(tx as never, 'parent-a', 'noter')(noted, { n: 1 });
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(await unsent()).toBe(0);
    const ids = await fixture.database.db.transaction(async (tx) => {
      const publish = outboxPublisher(tx as never, 'parent-a', 'noter');
      return [await publish(noted, { n: 1 }), await publish(noted, { n: 2 })];
    });
    expect(ids).toEqual([childEventId('parent-a', 0), childEventId('parent-a', 1)]);
    expect(await unsent()).toBe(2);
  });

  it('refuses data that does not match the event type, permanently', async () => {
    await expect(fixture.database.db.transaction((tx) => outboxPublisher(tx as never, 'p', 'noter')(noted, { n: 'one' } as never))).rejects.toThrow(
      /ctx.publish\(test.noted\)/,
    );
  });

  it('publishes committed rows with confirms, their trace headers kept, and marks them sent', async () => {
    const relay = new OutboxRelay({ db: fixture.database.db, broker: fixture.broker, source: 'noter' });
    const before = received.length;
    expect(await relay.drainOnce()).toBe(2);
    expect(await unsent()).toBe(0);
    const got = await waitFor('two deliveries', () => (received.length - before >= 2 ? received.slice(before) : undefined));
    expect(got.map((d) => d.messageId).sort()).toEqual([childEventId('parent-a', 0), childEventId('parent-a', 1)].sort());
    expect(JSON.parse(got[0]!.body.toString())).toMatchObject({ type: 'test.noted', data: { n: expect.any(Number) } });
  });

  it('shares rows between relays with SKIP LOCKED: each row sent once', async () => {
    const rows = Array.from({ length: 2_000 }, (_, i) => outboxRow(`${prefix}-s${i}`, 'test.noted', { n: i }));
    for (let i = 0; i < rows.length; i += 500) await fixture.database.db.insert(outbox).values(rows.slice(i, i + 500));
    const before = received.length;
    const relays = [1, 2, 3].map(() => new OutboxRelay({ db: fixture.database.db, broker: fixture.broker, source: 'noter', batchSize: 100 }));
    const started = performance.now();
    const counts = await drainTogether(relays);
    const ms = performance.now() - started;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(2_000);
    const got = await waitFor('2000 deliveries', () => (received.length - before >= 2_000 ? received.slice(before) : undefined), 30_000);
    expect(new Set(got.map((d) => d.messageId)).size).toBe(2_000);
    console.log(
      `[figures] outbox relay: 2000 rows by 3 relays (batch 100, RabbitMQ confirms) in ${Math.round(ms)} ms = ${Math.round(2_000 / (ms / 1000))} rows/s; split ${counts.join('/')}`,
    );
  });

  it("leaves another source's rows alone until they are old enough to adopt", async () => {
    await fixture.database.db.insert(outbox).values(outboxRow(`${prefix}-orphan`, 'test.noted', { n: 0 }, 'dead-function'));
    expect(await new OutboxRelay({ db: fixture.database.db, broker: fixture.broker, source: 'noter' }).drainOnce()).toBe(0);
    expect(await new OutboxRelay({ db: fixture.database.db, broker: fixture.broker, source: 'publish', adoptAfterMs: 60_000 }).drainOnce()).toBe(0);
    await fixture.database.db.execute(sql`update ${outbox} set created_at = now() - interval '2 minutes' where id = ${`${prefix}-orphan`}`);
    expect(await new OutboxRelay({ db: fixture.database.db, broker: fixture.broker, source: 'publish', adoptAfterMs: 60_000 }).drainOnce()).toBe(1);
  });

  it('holds a delayed ctx.publish until it is due', async () => {
    const id = await fixture.database.db.transaction((tx) => outboxPublisher(tx as never, 'parent-delayed', 'noter')(noted, { n: 7 }, { delaySeconds: 0.6 }));
    const relay = new OutboxRelay({ db: fixture.database.db, broker: fixture.broker, source: 'noter' });
    expect(await relay.drainOnce()).toBe(0);
    expect(await outboxStats(fixture.database.db)).toMatchObject({ scheduled: 1 });
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(await relay.drainOnce()).toBe(1);
    await waitFor('the delayed child', () => received.find((d) => d.messageId === id));
    await expect(fixture.database.db.transaction((tx) => outboxPublisher(tx as never, 'p2', 'noter')(noted, { n: 1 }, { delaySeconds: -1 }))).rejects.toThrow(
      /ctx.publish/,
    );
  });

  it('backs a row off when no function subscribes to its type, keeping the reason', async () => {
    await fixture.database.db.insert(outbox).values(outboxRow(`${prefix}-nobody`, 'test.unheard', {}));
    expect(await new OutboxRelay({ db: fixture.database.db, broker: fixture.broker, source: 'noter' }).drainOnce()).toBe(1);
    const [row] = await fixture.database.db.execute<{ attempts: number; last_error: string; later: boolean }>(
      sql`select attempts, last_error, deliver_at > now() as later from ${outbox} where id = ${`${prefix}-nobody`}`,
    );
    expect(row).toMatchObject({ attempts: 1, later: true });
    expect(row!.last_error).toMatch(/unroutable/);
    expect(await outboxStats(fixture.database.db)).toMatchObject({ pending: 0, scheduled: 1 });
  });
});

describe('the outbox relay on SQS', () => {
  const prefix = uniqueName('outboxsqs');
  const received = new Set<string>();
  const fixture = useConsumingBroker({
    prefix,
    harness: sqsHarness,
    queues: [spec],
    provision: true,
    prefetch: 100,
    onDelivery: (delivery) => received.add(delivery.messageId!),
  });

  it('sends 1000 rows once each with two relays sharing the table', async () => {
    const rows = Array.from({ length: 1_000 }, (_, i) => outboxRow(`${prefix}-q${i}`, 'test.noted', { n: i }));
    for (let i = 0; i < rows.length; i += 500) await fixture.database.db.insert(outbox).values(rows.slice(i, i + 500));
    const relays = [1, 2].map(() => new OutboxRelay({ db: fixture.database.db, broker: fixture.broker, source: 'noter', batchSize: 100 }));
    const started = performance.now();
    const counts = await drainTogether(relays);
    const ms = performance.now() - started;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1_000);
    await waitFor('1000 deliveries', () => (rows.every((r) => received.has(r.id)) ? true : undefined), 60_000);
    console.log(
      `[figures] outbox relay on SQS: 1000 rows by 2 relays (batch 100) in ${Math.round(ms)} ms = ${Math.round(1_000 / (ms / 1000))} rows/s; split ${counts.join('/')}`,
    );
  });
});
