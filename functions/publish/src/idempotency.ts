import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { idempotencyKeys, type Database } from '@qfn/shared';

export type Claim =
  | { kind: 'claimed' }
  /** An earlier attempt was not confirmed: publish again under its event id, so consumers see one event. */
  | { kind: 'republish'; eventId: string }
  | { kind: 'replay'; eventId: string }
  | { kind: 'in_progress' }
  | { kind: 'mismatch' };

export function requestHash(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('base64url');
}

/**
 * Idempotency-Key handling: the first request claims the key for a new event id; a retry with the
 * same key and body gets the same id back without publishing again.
 */
export class IdempotencyStore {
  constructor(private readonly db: Database) {}

  async claim(key: string, eventId: string, hash: string): Promise<Claim> {
    const inserted = await this.db
      .insert(idempotencyKeys)
      .values({ key, eventId, state: 'pending', requestHash: hash })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (inserted.length > 0) return { kind: 'claimed' };
    const [existing] = await this.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key));
    if (!existing) return this.claim(key, eventId, hash); // released between the two statements
    if (existing.requestHash !== hash) return { kind: 'mismatch' };
    if (existing.state === 'unconfirmed') {
      const [taken] = await this.db
        .update(idempotencyKeys)
        .set({ state: 'pending' })
        .where(and(eq(idempotencyKeys.key, key), eq(idempotencyKeys.state, 'unconfirmed')))
        .returning({ eventId: idempotencyKeys.eventId });
      return taken ? { kind: 'republish', eventId: taken.eventId } : { kind: 'in_progress' };
    }
    if (existing.state === 'pending') return { kind: 'in_progress' };
    return { kind: 'replay', eventId: existing.eventId };
  }

  async markPublished(key: string): Promise<void> {
    await this.db.update(idempotencyKeys).set({ state: 'published' }).where(eq(idempotencyKeys.key, key));
  }

  /**
   * The broker did not confirm: it may or may not have the event. Keep the event id for the client's
   * retry, which publishes it again under the same id (a duplicate delivery the consumers' inbox absorbs)
   * instead of a second event.
   */
  async markUnconfirmed(key: string): Promise<void> {
    await this.db.update(idempotencyKeys).set({ state: 'unconfirmed' }).where(eq(idempotencyKeys.key, key));
  }

  /** The publish certainly did not happen (e.g. unroutable): free the key. */
  async release(key: string, eventId: string): Promise<void> {
    await this.db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.key, key), eq(idempotencyKeys.eventId, eventId)));
  }
}
