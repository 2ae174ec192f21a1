import { defineEvent } from '@qfn/shared';
import { z } from 'zod';

const count = (max: number, fallback: number) => z.int().min(1).max(max).default(fallback);
const text = z.string().max(1_000_000);

/** The jobs run-job runs, one event type each: the type names the job, the data is its input. */
export const jobRequested = {
  deriveKey: defineEvent('job.derive-key', z.strictObject({ secret: text.default(''), salt: text.default('qfn'), iterations: count(2_000_000, 50_000) }), {
    description: 'Derive a key with PBKDF2-SHA256 (CPU-heavy, like password hashing)',
  }),
  countPrimes: defineEvent('job.count-primes', z.strictObject({ limit: count(50_000_000, 1_000_000) }), {
    description: 'Count the primes below limit (sieve of Eratosthenes)',
  }),
  wordCount: defineEvent('job.word-count', z.strictObject({ text: text.default(''), top: count(100, 10) }), {
    description: 'The top words of a text and their counts',
  }),
  checksum: defineEvent('job.checksum', z.strictObject({ text: text.default(''), rounds: count(1_000_000, 1) }), {
    description: 'SHA-256 of a text, hashed rounds times',
  }),
} as const;

export type JobRequest = (typeof jobRequested)[keyof typeof jobRequested];

/** Published by run-job (ctx.publish, through the outbox) once a job's result is stored. */
export const jobCompleted = defineEvent(
  'job.completed',
  z.strictObject({ jobId: z.string().min(1).describe('The job.* event id'), kind: z.string().min(1), durationMs: z.number().min(0) }),
  { description: 'A job ran and its result is stored (emitted by run-job)' },
);
