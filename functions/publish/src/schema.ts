import { index, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Idempotency-Key → event id claimed by the publish function, per client (its token; '' when the API
 * is open); `published` once the broker confirmed. A `pending` claim holds a lease: if its publisher
 * dies, a retry after `lease_until` takes it over and republishes the same event id. Keys older than
 * the TTL (IDEMPOTENCY_KEY_TTL_SECONDS) are forgotten.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    clientId: text('client_id').notNull().default(''),
    key: text('key').notNull(),
    eventId: text('event_id').notNull(),
    /** pending: being published; published: confirmed; unconfirmed: the broker did not confirm, a retry republishes the same event id. */
    state: text('state', { enum: ['pending', 'published', 'unconfirmed'] }).notNull(),
    requestHash: text('request_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** Until when a pending claim belongs to the request that made it. */
    leaseUntil: timestamp('lease_until', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.clientId, t.key] }), index('idempotency_keys_created_at_idx').on(t.createdAt)],
);
