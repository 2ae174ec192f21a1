import { sql } from 'drizzle-orm';
import { pgTable, text } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineEvent } from '../events/define';
import { defineFunction } from '../function/define';
import { childEventId } from '../outbox/child-id';
import { PermanentError } from '../runtime/errors';
import { runOnce, sharedTestContext, testContext, type TestContext } from './context';

const notes = pgTable('notes', { eventId: text('event_id').primaryKey(), body: text('body').notNull() });
const noteTaken = defineEvent('note.taken', z.strictObject({ body: z.string().min(1), fail: z.enum(['no', 'always', 'permanently']).default('no') }));
const noteStored = defineEvent('note.stored', z.strictObject({ eventId: z.string(), length: z.number() }));

let runs = 0;
const takeNote = defineFunction({
  name: 'take-note',
  subscribes: [noteTaken],
  retry: { maxAttempts: 3, initialDelayMs: 200 },
  handler: async (event, { db, eventId, log, publish }) => {
    runs++;
    await db.insert(notes).values({ eventId, body: event.body });
    await publish(noteStored, { eventId, length: event.body.length });
    log.info({ length: event.body.length }, 'stored');
    if (event.fail === 'always') throw new Error('disk on fire');
    if (event.fail === 'permanently') throw new PermanentError('this note can never be stored');
  },
});

async function createNotesTable(t: TestContext) {
  await t.db.execute(sql`create table if not exists notes (event_id text primary key, body text not null)`);
}

describe('testContext / runOnce', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await testContext();
    await createNotesTable(t);
  });
  afterAll(() => t?.close());

  it('runs a handler through the worker: its rows commit, its ctx.publish events are read back, its log lines kept', async () => {
    const outcome = await t.runOnce(takeNote, { data: { body: 'buy milk' }, id: 'e-processed' });
    expect(outcome).toMatchObject({ eventId: 'e-processed', status: 'processed', attempt: 1 });
    expect(outcome.emitted).toEqual([
      {
        id: childEventId('e-processed', 0),
        type: 'note.stored',
        data: { eventId: 'e-processed', length: 8 },
        deliverAt: expect.any(Date),
        headers: expect.any(Object),
      },
    ]);
    expect(outcome.logs).toMatchObject([{ level: 'info', msg: 'stored', length: 8, eventId: 'e-processed' }]);
    expect(
      await t.db
        .select()
        .from(notes)
        .where(sql`event_id = 'e-processed'`),
    ).toEqual([{ eventId: 'e-processed', body: 'buy milk' }]);
  });

  it('applies an event id once: a second delivery finds the inbox row and does not run the handler', async () => {
    const before = runs;
    await t.runOnce(takeNote, { data: { body: 'once' }, id: 'e-twice' });
    const again = await t.runOnce(takeNote, { data: { body: 'once' }, id: 'e-twice' });
    expect(again.status).toBe('duplicate');
    expect(runs - before).toBe(1);
  });

  it('rolls back what a throwing handler wrote and retries it with backoff; its last attempt is dead-lettered', async () => {
    const failed = await t.runOnce(takeNote, { data: { body: 'x', fail: 'always' }, id: 'e-fails' });
    expect(failed).toMatchObject({ status: 'retried', attempt: 1, reason: expect.stringContaining('disk on fire'), emitted: [] });
    expect(failed.retryInMs).toBeGreaterThan(0);
    expect(
      await t.db
        .select()
        .from(notes)
        .where(sql`event_id = 'e-fails'`),
    ).toEqual([]);
    expect(await t.emitted('e-fails')).toEqual([]);

    const last = await t.runOnce(takeNote, { data: { body: 'x', fail: 'always' }, id: 'e-fails', attempt: takeNote.retry.maxAttempts });
    expect(last).toMatchObject({ status: 'dead-lettered', attempt: 3, reason: expect.stringMatching(/failed 3 of 3 attempts.*disk on fire/) });
  });

  it('dead-letters a PermanentError at once, and an event its schema refuses without running the handler', async () => {
    const permanent = await t.runOnce(takeNote, { data: { body: 'x', fail: 'permanently' } });
    expect(permanent).toMatchObject({ status: 'dead-lettered', reason: expect.stringContaining('this note can never be stored') });
    const before = runs;
    const invalid = await t.runOnce(takeNote, { data: { body: '' } });
    expect(invalid).toMatchObject({ status: 'dead-lettered', reason: expect.stringContaining('schema validation failed') });
    expect(runs).toBe(before);
  });

  it('gives a handler context around a transaction of its own: committed when the work resolves, rolled back when it throws', async () => {
    const { emitted } = await t.handle(
      async (ctx) => {
        await ctx.db.insert(notes).values({ eventId: ctx.eventId, body: 'direct' });
        await ctx.publish(noteStored, { eventId: ctx.eventId, length: 6 }, { delaySeconds: 60 });
        expect(ctx.signal.aborted).toBe(false);
      },
      { eventId: 'e-direct', eventType: 'note.taken' },
    );
    expect(emitted).toMatchObject([{ type: 'note.stored', data: { eventId: 'e-direct', length: 6 } }]);
    expect(emitted[0]!.deliverAt.getTime()).toBeGreaterThan(Date.now() + 50_000);
    await expect(
      t.handle(async (ctx) => {
        await ctx.db.insert(notes).values({ eventId: 'e-rolled-back', body: 'never' });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(
      await t.db
        .select()
        .from(notes)
        .where(sql`event_id in ('e-direct', 'e-rolled-back')`),
    ).toEqual([{ eventId: 'e-direct', body: 'direct' }]);
  });

  it('empties the tables between tests on request', async () => {
    await t.truncate();
    expect(await t.db.select().from(notes)).toEqual([]);
  });
});

describe('runOnce(fn, event) without a context', () => {
  it('uses one context per process, whose database holds the committed rows', async () => {
    const t = await sharedTestContext();
    await createNotesTable(t);
    const outcome = await runOnce(takeNote, { data: { body: 'shared' }, type: 'note.taken' });
    expect(outcome.status).toBe('processed');
    expect(
      await t.db
        .select()
        .from(notes)
        .where(sql`event_id = ${outcome.eventId}`),
    ).toHaveLength(1);
    await t.close();
  });
});
