import { doublePrecision, index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** One row per job.completed event: no constraint on job_id, so an event recorded twice would show. */
export const jobCompletions = pgTable(
  'job_completions',
  {
    eventId: text('event_id').primaryKey(),
    jobId: text('job_id').notNull(),
    kind: text('kind').notNull(),
    durationMs: doublePrecision('duration_ms').notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
  },
  (t) => [index('job_completions_job_id_idx').on(t.jobId)],
);
