import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

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
