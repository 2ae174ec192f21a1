import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { deliveryStarts, inbox } from '../db/schema';

/** One event as the inbox keys it: its id, and a digest of what it says (to tell a conflicting republish). */
export interface InboxKey {
  id: string;
  digest: string;
}

/** An event id that arrived again with another payload than the one whose effect stands. */
export interface InboxConflict<T> {
  item: T;
  digest: string;
  firstDigest: string;
}

export interface InboxClaim<T> {
  /** The items to run: the first of each id not in the inbox before, in the order given. */
  fresh: T[];
  /** Items skipped (already in the inbox, or an id earlier in the batch) whose payload differs from the standing one. */
  conflicts: InboxConflict<T>[];
}

/** Rows of a raw query, whichever driver ran it (postgres.js gives an array, PGlite `{ rows }`). */
function rowsOf<R>(result: unknown): R[] {
  return Array.isArray(result) ? (result as R[]) : ((result as { rows: R[] }).rows ?? []);
}

/**
 * Claims the items' event ids for `functionName` inside the handler's transaction: the inbox rows
 * commit with the handler's writes, so a redelivery finds its id and is skipped.
 * Ids already claimed (or earlier in the batch) are skipped, and reported as conflicts when their
 * payload differs from the standing one's.
 */
export async function claimInbox<T>(tx: Database, functionName: string, items: readonly T[], keyOf: (item: T) => InboxKey): Promise<InboxClaim<T>> {
  // The first delivery of each id in the batch is the candidate; later ones are duplicates.
  const first = new Map<string, { item: T; digest: string }>();
  const later: { item: T; key: InboxKey }[] = [];
  for (const item of items) {
    const key = keyOf(item);
    if (first.has(key.id)) later.push({ item, key });
    else first.set(key.id, { item, digest: key.digest });
  }
  const fresh = await insertInboxRows(
    tx,
    functionName,
    Array.from(first, ([id, { digest }]) => ({ id, digest })),
  );
  // What each id's effect was made from: the stored digest when it committed before, else this batch's first copy.
  const standing = new Map(Array.from(first, ([id, { digest }]) => [id, digest as string | null]));
  const conflicts: InboxConflict<T>[] = [];
  const seenBefore = [...first.keys()].filter((id) => !fresh.has(id));
  if (seenBefore.length > 0) {
    for (const [id, digest] of await storedDigests(tx, functionName, seenBefore)) standing.set(id, digest);
    for (const id of seenBefore) {
      const { item, digest } = first.get(id)!;
      const firstDigest = standing.get(id) ?? null;
      if (firstDigest !== null && firstDigest !== digest) conflicts.push({ item, digest, firstDigest });
    }
  }
  for (const { item, key } of later) {
    const firstDigest = standing.get(key.id) ?? null;
    if (firstDigest !== null && key.digest !== firstDigest) conflicts.push({ item, digest: key.digest, firstDigest });
  }
  return {
    fresh: Array.from(first)
      .filter(([id]) => fresh.has(id))
      .map(([, { item }]) => item),
    conflicts,
  };
}

/** Inserts the rows not there yet; returns the ids it inserted. */
export async function insertInboxRows(tx: Database, functionName: string, keys: readonly InboxKey[]): Promise<Set<string>> {
  // One JSON parameter, whatever the batch size: a single prepared statement, several times
  // cheaper for Node and Postgres than a VALUES list with a parameter per id.
  const rows = JSON.stringify(keys.map(({ id, digest }) => [id, digest]));
  const inserted = await tx.execute(
    sql`insert into ${inbox} (function_name, event_id, payload_digest)
        select ${functionName}::text, value->>0, value->>1 from json_array_elements(${rows}::json)
        on conflict do nothing returning event_id`,
  );
  return new Set(rowsOf<{ event_id: string }>(inserted).map((row) => row.event_id));
}

/** The stored payload digests of ids already in the inbox (null for rows from before digests were kept). */
export async function storedDigests(tx: Database, functionName: string, ids: readonly string[]): Promise<Map<string, string | null>> {
  const stored = await tx.execute(
    sql`select event_id, payload_digest from ${inbox} where function_name = ${functionName} and event_id in (select json_array_elements_text(${JSON.stringify(ids)}::json))`,
  );
  return new Map(rowsOf<{ event_id: string; payload_digest: string | null }>(stored).map((row) => [row.event_id, row.payload_digest]));
}

/** Removes claimed ids again, inside the transaction (the batch items a batch handler reported failed). */
export async function unclaimInbox(tx: Database, functionName: string, ids: readonly string[]): Promise<void> {
  await tx.delete(inbox).where(and(eq(inbox.functionName, functionName), inArray(inbox.eventId, [...ids])));
}

/** Records (and commits) one more start of a redelivered message run alone; returns its starts so far, this one included. */
export async function recordStart(db: Database, functionName: string, eventId: string): Promise<number> {
  const [row] = await db
    .insert(deliveryStarts)
    .values({ functionName, eventId })
    .onConflictDoUpdate({
      target: [deliveryStarts.functionName, deliveryStarts.eventId],
      set: { starts: sql`${deliveryStarts.starts} + 1`, lastStartedAt: sql`now()` },
    })
    .returning({ starts: deliveryStarts.starts });
  return row!.starts;
}

/** Forgets the starts of a message once it is settled. */
export async function forgetStart(db: Database, functionName: string, eventId: string): Promise<void> {
  await db.delete(deliveryStarts).where(and(eq(deliveryStarts.functionName, functionName), eq(deliveryStarts.eventId, eventId)));
}
