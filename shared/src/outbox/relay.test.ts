import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { type Delivery } from '../queue/types';
import { defineEvent } from '../events/define';
import { outbox } from '../db/schema';
import { rabbitmqHarness, sqsHarness } from '../../../test/support/brokers';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database';
import { uniqueName } from '../../../test/support/names';
import { waitFor } from '../../../test/support/wait';
import type { BrokerWithAdmin } from '../queue/types';
import { childEventId } from './child-id';
import { outboxPublisher } from './publisher';
import { OutboxRelay, outboxStats } from './relay';

const noted = defineEvent('test.noted', z.strictObject({ n: z.int() }));
const spec = { name: 'noter', subscribes: ['test.noted'], retry: { maxAttempts: 3, initialDelayMs: 100, multiplier: 2, maxDelayMs: 1000 }, visibilityTimeoutSeconds: 5 };

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
  let database: TestDatabase;
  let broker: BrokerWithAdmin;
  const received: Delivery[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(prefix);
    broker = rabbitmqHarness.create(prefix);
    await broker.connect();
    await broker.provision(spec);
    await broker.consume(spec, (delivery) => {
      received.push(delivery);
      void delivery.ack();
    }, { prefetch: 500 });
  });

  afterAll(async () => {
    await broker.close();
    await rabbitmqHarness.cleanup(prefix);
    await database.drop();
  });

  const unsent = async () => (await outboxStats(database.db)).pending;

  it('writes nothing when the handler transaction rolls back, one row per call when it commits', async () => {
    await expect(
      database.db.transaction(async (tx) => {
        await outboxPublisher(tx as never, 'parent-a', 'noter')(noted, { n: 1 });
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(await unsent()).toBe(0);
    const ids = await database.db.transaction(async (tx) => {
      const publish = outboxPublisher(tx as never, 'parent-a', 'noter');
      return [await publish(noted, { n: 1 }), await publish(noted, { n: 2 })];
    });
    expect(ids).toEqual([childEventId('parent-a', 0), childEventId('parent-a', 1)]);
    expect(await unsent()).toBe(2);
  });

  it('refuses data that does not match the event type, permanently', async () => {
    await expect(database.db.transaction((tx) => outboxPublisher(tx as never, 'p', 'noter')(noted, { n: 'one' } as never))).rejects.toThrow(/ctx.publish\(test.noted\)/);
  });

  it('publishes committed rows with confirms, their trace headers kept, and marks them sent', async () => {
    const relay = new OutboxRelay({ db: database.db, broker, source: 'noter' });
    const before = received.length;
    expect(await relay.drainOnce()).toBe(2);
    expect(await unsent()).toBe(0);
    const got = await waitFor('two deliveries', () => (received.length - before >= 2 ? received.slice(before) : undefined));
    expect(got.map((d) => d.messageId).sort()).toEqual([childEventId('parent-a', 0), childEventId('parent-a', 1)].sort());
    expect(JSON.parse(got[0]!.body.toString())).toMatchObject({ type: 'test.noted', data: { n: expect.any(Number) } });
  });

  it('shares rows between relays with SKIP LOCKED: each row sent once', async () => {
    const rows = Array.from({ length: 2_000 }, (_, i) => ({ id: `${prefix}-s${i}`, type: 'test.noted', body: JSON.stringify({ id: `${prefix}-s${i}`, type: 'test.noted', time: new Date().toISOString(), data: { n: i } }), source: 'noter' }));
    for (let i = 0; i < rows.length; i += 500) await database.db.insert(outbox).values(rows.slice(i, i + 500));
    const before = received.length;
    const relays = [1, 2, 3].map(() => new OutboxRelay({ db: database.db, broker, source: 'noter', batchSize: 100 }));
    const started = performance.now();
    const counts = await Promise.all(relays.map(async (relay) => {
      let taken = 0;
      for (let n = await relay.drainOnce(); n > 0; n = await relay.drainOnce()) taken += n;
      return taken;
    }));
    const ms = performance.now() - started;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(2_000);
    const got = await waitFor('2000 deliveries', () => (received.length - before >= 2_000 ? received.slice(before) : undefined), 30_000);
    expect(new Set(got.map((d) => d.messageId)).size).toBe(2_000);
    console.log(`[figures] outbox relay: 2000 rows by 3 relays (batch 100, RabbitMQ confirms) in ${Math.round(ms)} ms = ${Math.round(2_000 / (ms / 1000))} rows/s; split ${counts.join('/')}`);
  });

  it("leaves another source's rows alone until they are old enough to adopt", async () => {
    await database.db.insert(outbox).values({ id: `${prefix}-orphan`, type: 'test.noted', body: JSON.stringify({ id: `${prefix}-orphan`, type: 'test.noted', time: new Date().toISOString(), data: { n: 0 } }), source: 'dead-function' });
    expect(await new OutboxRelay({ db: database.db, broker, source: 'noter' }).drainOnce()).toBe(0);
    expect(await new OutboxRelay({ db: database.db, broker, source: 'publish', adoptAfterMs: 60_000 }).drainOnce()).toBe(0);
    await database.db.execute(sql`update ${outbox} set created_at = now() - interval '2 minutes' where id = ${`${prefix}-orphan`}`);
    expect(await new OutboxRelay({ db: database.db, broker, source: 'publish', adoptAfterMs: 60_000 }).drainOnce()).toBe(1);
  });

  it('holds a delayed ctx.publish until it is due', async () => {
    const id = await database.db.transaction((tx) => outboxPublisher(tx as never, 'parent-delayed', 'noter')(noted, { n: 7 }, { delaySeconds: 0.6 }));
    const relay = new OutboxRelay({ db: database.db, broker, source: 'noter' });
    expect(await relay.drainOnce()).toBe(0);
    expect(await outboxStats(database.db)).toMatchObject({ scheduled: 1 });
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(await relay.drainOnce()).toBe(1);
    await waitFor('the delayed child', () => received.find((d) => d.messageId === id));
    await expect(database.db.transaction((tx) => outboxPublisher(tx as never, 'p2', 'noter')(noted, { n: 1 }, { delaySeconds: -1 }))).rejects.toThrow(/ctx.publish/);
  });

  it('backs a row off when no function subscribes to its type, keeping the reason', async () => {
    await database.db.insert(outbox).values({ id: `${prefix}-nobody`, type: 'test.unheard', body: JSON.stringify({ id: `${prefix}-nobody`, type: 'test.unheard', time: new Date().toISOString(), data: {} }), source: 'noter' });
    expect(await new OutboxRelay({ db: database.db, broker, source: 'noter' }).drainOnce()).toBe(1);
    const [row] = await database.db.execute<{ attempts: number; last_error: string; later: boolean }>(sql`select attempts, last_error, deliver_at > now() as later from ${outbox} where id = ${`${prefix}-nobody`}`);
    expect(row).toMatchObject({ attempts: 1, later: true });
    expect(row!.last_error).toMatch(/unroutable/);
    expect(await outboxStats(database.db)).toMatchObject({ pending: 0, scheduled: 1 });
  });
});

describe('the outbox relay on SQS', () => {
  const prefix = uniqueName('outboxsqs');
  let database: TestDatabase;
  let broker: BrokerWithAdmin;
  const received = new Set<string>();

  beforeAll(async () => {
    await sqsHarness.setUp();
    database = await createTestDatabase(prefix);
    broker = sqsHarness.create(prefix);
    await broker.connect();
    await broker.provision(spec);
    await broker.consume(spec, (delivery) => {
      received.add(delivery.messageId!);
      void delivery.ack();
    }, { prefetch: 100 });
  });

  afterAll(async () => {
    await broker.close();
    await sqsHarness.cleanup(prefix);
    await database.drop();
    await sqsHarness.tearDown();
  });

  it('sends 1000 rows once each with two relays sharing the table', async () => {
    const rows = Array.from({ length: 1_000 }, (_, i) => ({ id: `${prefix}-q${i}`, type: 'test.noted', body: JSON.stringify({ id: `${prefix}-q${i}`, type: 'test.noted', time: new Date().toISOString(), data: { n: i } }), source: 'noter' }));
    for (let i = 0; i < rows.length; i += 500) await database.db.insert(outbox).values(rows.slice(i, i + 500));
    const relays = [1, 2].map(() => new OutboxRelay({ db: database.db, broker, source: 'noter', batchSize: 100 }));
    const started = performance.now();
    const counts = await Promise.all(relays.map(async (relay) => {
      let taken = 0;
      for (let n = await relay.drainOnce(); n > 0; n = await relay.drainOnce()) taken += n;
      return taken;
    }));
    const ms = performance.now() - started;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1_000);
    await waitFor('1000 deliveries', () => (rows.every((r) => received.has(r.id)) ? true : undefined), 60_000);
    console.log(`[figures] outbox relay on SQS: 1000 rows by 2 relays (batch 100) in ${Math.round(ms)} ms = ${Math.round(1_000 / (ms / 1000))} rows/s; split ${counts.join('/')}`);
  });
});
