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

  it('claims new ids once: a second claim of the same id finds it and runs nothing', async () => {
    const first = await claimInbox(
      db,
      'fn-a',
      [
        { id: 'e1', digest: 'd1' },
        { id: 'e2', digest: 'd2' },
      ],
      keyOf,
    );
    expect(first.fresh.map((item) => item.id)).toEqual(['e1', 'e2']);
    const again = await claimInbox(
      db,
      'fn-a',
      [
        { id: 'e2', digest: 'd2' },
        { id: 'e3', digest: 'd3' },
      ],
      keyOf,
    );
    expect(again.fresh.map((item) => item.id)).toEqual(['e3']);
    expect(again.conflicts).toEqual([]);
  });

  it('keys the claim by function: another function claims the same id for itself', async () => {
    await claimInbox(db, 'fn-b', [{ id: 'shared', digest: 'd' }], keyOf);
    const other = await claimInbox(db, 'fn-c', [{ id: 'shared', digest: 'd' }], keyOf);
    expect(other.fresh).toHaveLength(1);
  });

  it('reports an id that comes again with another payload as a conflict with the stored digest', async () => {
    await claimInbox(db, 'fn-d', [{ id: 'e1', digest: 'first' }], keyOf);
    const again = await claimInbox(db, 'fn-d', [{ id: 'e1', digest: 'second' }], keyOf);
    expect(again.fresh).toEqual([]);
    expect(again.conflicts).toEqual([{ item: { id: 'e1', digest: 'second' }, digest: 'second', firstDigest: 'first' }]);
  });

  it('runs the first copy of an id within one batch; a later copy with another payload is a conflict with it', async () => {
    const claim = await claimInbox(
      db,
      'fn-e',
      [
        { id: 'e1', digest: 'a' },
        { id: 'e1', digest: 'a' },
        { id: 'e1', digest: 'b' },
      ],
      keyOf,
    );
    expect(claim.fresh).toEqual([{ id: 'e1', digest: 'a' }]);
    expect(claim.conflicts).toEqual([{ item: { id: 'e1', digest: 'b' }, digest: 'b', firstDigest: 'a' }]);
  });

  it('unclaims ids, so that they run again', async () => {
    await claimInbox(
      db,
      'fn-f',
      [
        { id: 'e1', digest: 'a' },
        { id: 'e2', digest: 'b' },
      ],
      keyOf,
    );
    await unclaimInbox(db, 'fn-f', ['e1']);
    const again = await claimInbox(
      db,
      'fn-f',
      [
        { id: 'e1', digest: 'a' },
        { id: 'e2', digest: 'b' },
      ],
      keyOf,
    );
    expect(again.fresh.map((item) => item.id)).toEqual(['e1']);
  });

  it('rolls the claim back with the transaction it was made in', async () => {
    await expect(
      db.transaction(async (tx) => {
        await claimInbox(tx, 'fn-g', [{ id: 'e1', digest: 'a' }], keyOf);
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect((await claimInbox(db, 'fn-g', [{ id: 'e1', digest: 'a' }], keyOf)).fresh).toHaveLength(1);
  });

  it('counts the starts of a message run alone, per function, and forgets them', async () => {
    expect(await recordStart(db, 'fn-h', 'e1')).toBe(1);
    expect(await recordStart(db, 'fn-h', 'e1')).toBe(2);
    expect(await recordStart(db, 'fn-i', 'e1')).toBe(1);
    await forgetStart(db, 'fn-h', 'e1');
    expect(await recordStart(db, 'fn-h', 'e1')).toBe(1);
  });
});
