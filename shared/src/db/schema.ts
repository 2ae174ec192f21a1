import { index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** One row per (function, event) whose effect has committed: redeliveries find it and skip the handler. */
export const inbox = pgTable(
  'inbox',
  {
    functionName: text('function_name').notNull(),
    eventId: text('event_id').notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true }).notNull().defaultNow(),
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

/** Idempotency-Key → event id claimed by the publish function; `published` once the broker confirmed. */
export const idempotencyKeys = pgTable('idempotency_keys', {
  key: text('key').primaryKey(),
  eventId: text('event_id').notNull(),
  /** pending: being published; published: confirmed; unconfirmed: the broker did not confirm, a retry republishes the same event id. */
  state: text('state', { enum: ['pending', 'published', 'unconfirmed'] }).notNull(),
  requestHash: text('request_hash').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** A message as received by the store-message function. */
export const messages = pgTable(
  'messages',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    ts: text('ts').notNull(),
    sender: text('sender').notNull(),
    messageAttributes: jsonb('message_attributes').$type<Record<string, string>>().notNull(),
    sentFromIp: text('sent_from_ip').notNull(),
    priority: integer('priority').notNull(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true, mode: 'string' }).notNull(),
    storedAt: timestamp('stored_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [index('messages_sender_id_idx').on(t.sender, t.id)],
);
