import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { idempotencyKeys, type Database } from '@qfn/shared';

export type Claim =
  | { kind: 'claimed' }
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
    if (existing.state === 'pending') return { kind: 'in_progress' };
    return { kind: 'replay', eventId: existing.eventId };
  }

  async markPublished(key: string): Promise<void> {
    await this.db.update(idempotencyKeys).set({ state: 'published' }).where(eq(idempotencyKeys.key, key));
  }

  /** The publish failed: free the key so the client's retry can publish. */
  async release(key: string, eventId: string): Promise<void> {
    await this.db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.key, key), eq(idempotencyKeys.eventId, eventId)));
  }
}
