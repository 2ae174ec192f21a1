/** The inbox statements on PGlite in-process (the same SQL as on Postgres; no service needed). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/client';
import { createTestDatabase, type TestDatabase } from '../testing/database';
import { claimInbox, forgetStart, recordStart, unclaimInbox } from './inbox';

const keyOf = (item: { id: string; digest: string }) => item;

describe('inbox statements (PGlite)', () => {
  // A migrated PGlite (its data directory cached between runs: initdb in WASM alone takes seconds).
  let database: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.db;
  }, 60_000);
  afterAll(async () => {
    await database?.close();
  });
  /** Claims the ids for a function, each with its payload's digest. */
  const claim = (functionName: string, ...items: [id: string, digest: string][]) =>
    claimInbox(
      db,
      functionName,
      items.map(([id, digest]) => ({ id, digest })),
      keyOf,
    );

  it('claims new ids once: a second claim of the same id finds it and runs nothing', async () => {
    const first = await claim('fn-a', ['e1', 'd1'], ['e2', 'd2']);
    expect(first.fresh.map((item) => item.id)).toEqual(['e1', 'e2']);
    const again = await claim('fn-a', ['e2', 'd2'], ['e3', 'd3']);
    expect(again.fresh.map((item) => item.id)).toEqual(['e3']);
    expect(again.conflicts).toEqual([]);
  });

  it('keys the claim by function: another function claims the same id for itself', async () => {
    await claim('fn-b', ['shared', 'd']);
    const other = await claim('fn-c', ['shared', 'd']);
    expect(other.fresh).toHaveLength(1);
  });

  it('reports an id that comes again with another payload as a conflict with the stored digest', async () => {
    await claim('fn-d', ['e1', 'first']);
    const again = await claim('fn-d', ['e1', 'second']);
    expect(again.fresh).toEqual([]);
    expect(again.conflicts).toEqual([{ item: { id: 'e1', digest: 'second' }, digest: 'second', firstDigest: 'first' }]);
  });

  it('runs the first copy of an id within one batch; a later copy with another payload is a conflict with it', async () => {
    const batch = await claim('fn-e', ['e1', 'a'], ['e1', 'a'], ['e1', 'b']);
    expect(batch.fresh).toEqual([{ id: 'e1', digest: 'a' }]);
    expect(batch.conflicts).toEqual([{ item: { id: 'e1', digest: 'b' }, digest: 'b', firstDigest: 'a' }]);
  });

  it('unclaims ids, so that they run again', async () => {
    await claim('fn-f', ['e1', 'a'], ['e2', 'b']);
    await unclaimInbox(db, 'fn-f', ['e1']);
    const again = await claim('fn-f', ['e1', 'a'], ['e2', 'b']);
    expect(again.fresh.map((item) => item.id)).toEqual(['e1']);
  });

  it('rolls the claim back with the transaction it was made in', async () => {
    await expect(
      db.transaction(async (tx) => {
        await claimInbox(tx, 'fn-g', [{ id: 'e1', digest: 'a' }], keyOf);
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect((await claim('fn-g', ['e1', 'a'])).fresh).toHaveLength(1);
  });

  it('counts the starts of a message run alone, per function, and forgets them', async () => {
    expect(await recordStart(db, 'fn-h', 'e1')).toBe(1);
    expect(await recordStart(db, 'fn-h', 'e1')).toBe(2);
    expect(await recordStart(db, 'fn-i', 'e1')).toBe(1);
    await forgetStart(db, 'fn-h', 'e1');
    expect(await recordStart(db, 'fn-h', 'e1')).toBe(1);
  });
});
