import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** One row per (function, event) whose effect has committed: redeliveries find it and skip the handler. */
export const inbox = pgTable(
  'inbox',
  {
    functionName: text('function_name').notNull(),
    eventId: text('event_id').notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true }).notNull().defaultNow(),
    /** Digest of the event's type and data: the same id arriving with another payload is a conflict (the first wins). */
    payloadDigest: text('payload_digest'),
  },
  (t) => [primaryKey({ columns: [t.functionName, t.eventId] }), index('inbox_event_id_idx').on(t.eventId)],
);

/**
 * Starts of redelivered messages, recorded (and committed) before their handler runs: a message
 * started again and again without ever finishing is what kills its consumer, while a redelivery of a
 * message that was never started leaves no row. The row goes once the message is settled.
 */
export const deliveryStarts = pgTable(
  'delivery_starts',
  {
    functionName: text('function_name').notNull(),
    eventId: text('event_id').notNull(),
    starts: integer('starts').notNull().default(1),
    lastStartedAt: timestamp('last_started_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.functionName, t.eventId] })],
);

/**
 * Events waiting for the broker: written by `ctx.publish` in the handler's own transaction (so nothing is
 * sent unless it commits), or by a delayed HTTP publish. A relay sends the due rows (`deliver_at` passed)
 * with confirms and marks them sent; rows are taken with FOR UPDATE SKIP LOCKED, so any number of relays
 * share them and a relay that dies leaves them to the next one.
 */
export const outbox = pgTable(
  'outbox',
  {
    /** The event id: deterministic for ctx.publish (parent event id + call position). */
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    /** The encoded envelope, as it goes on the broker. */
    body: text('body').notNull(),
    /** Trace context (traceparent, tracestate) of the handler that wrote it. */
    headers: jsonb('headers').$type<Record<string, string>>().notNull().default({}),
    /** The function whose handler wrote it, or `publish` for the HTTP API. */
    source: text('source').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** Not sent before this; moved on by a backoff after a failed send. */
    deliverAt: timestamp('deliver_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
  },
  (t) => [
    index('outbox_due_idx')
      .on(t.deliverAt)
      .where(sql`sent_at is null`),
    index('outbox_sent_at_idx')
      .on(t.sentAt)
      .where(sql`sent_at is not null`),
  ],
);
