import { doublePrecision, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** The outcome of a job run by the run-job function. */
export const jobResults = pgTable('job_results', {
  eventId: text('event_id').primaryKey(),
  kind: text('kind').notNull(),
  result: jsonb('result').$type<Record<string, unknown>>().notNull(),
  durationMs: doublePrecision('duration_ms').notNull(),
  completedAt: timestamp('completed_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
});
