import { createHash } from 'node:crypto';
import { and, eq, lt, or, sql } from 'drizzle-orm';
import { idempotencyKeys } from './schema';
import { type Database } from '@qfn/shared';

export type Claim =
  | { kind: 'claimed' }
  /** An earlier attempt was not confirmed, or its publisher died: publish again under its event id, so consumers see one event. */
  | { kind: 'republish'; eventId: string }
  | { kind: 'replay'; eventId: string }
  | { kind: 'in_progress' }
  | { kind: 'mismatch' };

export function requestHash(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('base64url');
}

export interface IdempotencyOptions {
  /** How long a pending claim belongs to its request; a retry after that takes it over (default 30 s). */
  leaseSeconds?: number;
  /** Keys older than this are forgotten: the same key then starts a new event (default 24 h). */
  ttlSeconds?: number;
}

export const defaultIdempotencyLeaseSeconds = 30;
export const defaultIdempotencyKeyTtlSeconds = 24 * 3600;

/**
 * Idempotency-Key handling, per client: the first request claims the key for a new event id; a retry
 * with the same key and body gets the same id back without publishing again. A pending claim whose
 * lease ran out (its publisher died mid-publish) is taken over by the next retry, which publishes the
 * same event id again; consumers' inboxes absorb a second copy.
 */
export class IdempotencyStore {
  readonly #leaseSeconds: number;
  readonly #ttlSeconds: number;

  constructor(
    private readonly db: Database,
    options: IdempotencyOptions = {},
  ) {
    this.#leaseSeconds = options.leaseSeconds ?? defaultIdempotencyLeaseSeconds;
    this.#ttlSeconds = options.ttlSeconds ?? defaultIdempotencyKeyTtlSeconds;
  }

  async claim(clientId: string, key: string, eventId: string, hash: string, tries = 3): Promise<Claim> {
    const inserted = await this.db
      .insert(idempotencyKeys)
      .values({ clientId, key, eventId, state: 'pending', requestHash: hash, leaseUntil: this.#leaseEnd() })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (inserted.length > 0) return { kind: 'claimed' };
    const [existing] = await this.db
      .select({
        eventId: idempotencyKeys.eventId,
        state: idempotencyKeys.state,
        requestHash: idempotencyKeys.requestHash,
        expired: sql<boolean>`${idempotencyKeys.createdAt} < now() - make_interval(secs => ${this.#ttlSeconds})`,
      })
      .from(idempotencyKeys)
      .where(this.#row(clientId, key));
    // Released or expired between the statements, or expired now: claim it afresh.
    if (!existing || existing.expired) {
      if (existing) await this.db.delete(idempotencyKeys).where(and(this.#row(clientId, key), eq(idempotencyKeys.eventId, existing.eventId)));
      return tries > 0 ? this.claim(clientId, key, eventId, hash, tries - 1) : { kind: 'in_progress' };
    }
    if (existing.requestHash !== hash) return { kind: 'mismatch' };
    if (existing.state === 'published') return { kind: 'replay', eventId: existing.eventId };
    const [taken] = await this.db
      .update(idempotencyKeys)
      .set({ state: 'pending', leaseUntil: this.#leaseEnd() })
      .where(
        and(
          this.#row(clientId, key),
          or(eq(idempotencyKeys.state, 'unconfirmed'), and(eq(idempotencyKeys.state, 'pending'), lt(idempotencyKeys.leaseUntil, sql`now()`))),
        ),
      )
      .returning({ eventId: idempotencyKeys.eventId });
    return taken ? { kind: 'republish', eventId: taken.eventId } : { kind: 'in_progress' };
  }

  async markPublished(clientId: string, key: string): Promise<void> {
    await this.db.update(idempotencyKeys).set({ state: 'published' }).where(this.#row(clientId, key));
  }

  /**
   * The broker did not confirm: it may or may not have the event. Keep the event id for the client's
   * retry, which publishes it again under the same id (a duplicate delivery the consumers' inbox absorbs)
   * instead of a second event.
   */
  async markUnconfirmed(clientId: string, key: string): Promise<void> {
    await this.db.update(idempotencyKeys).set({ state: 'unconfirmed' }).where(this.#row(clientId, key));
  }

  /** The publish certainly did not happen (e.g. unroutable): free the key. */
  async release(clientId: string, key: string, eventId: string): Promise<void> {
    await this.db.delete(idempotencyKeys).where(and(this.#row(clientId, key), eq(idempotencyKeys.eventId, eventId)));
  }

  /** Deletes up to `limit` keys older than the TTL; returns how many. */
  async deleteExpired(limit = 1_000): Promise<number> {
    const deleted = await this.db.execute<{ key: string }>(sql`
      delete from ${idempotencyKeys} where (${idempotencyKeys.clientId}, ${idempotencyKeys.key}) in (
        select ${idempotencyKeys.clientId}, ${idempotencyKeys.key} from ${idempotencyKeys}
        where ${idempotencyKeys.createdAt} < now() - make_interval(secs => ${this.#ttlSeconds}) limit ${limit}
      ) returning ${idempotencyKeys.key}`);
    return Array.from(deleted).length;
  }

  #row(clientId: string, key: string) {
    return and(eq(idempotencyKeys.clientId, clientId), eq(idempotencyKeys.key, key));
  }

  #leaseEnd() {
    return sql`now() + make_interval(secs => ${this.#leaseSeconds})`;
  }
}
