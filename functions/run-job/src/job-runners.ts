import { createHash, pbkdf2Sync } from 'node:crypto';
import type { EventData } from '@qfn/shared';
import type { JobRequest } from './events';

/** One job type's work: pure CPU on its validated input. */
export type JobRunners = { [K in JobRequest as K['type']]: (input: EventData<K>) => Record<string, unknown> };

/**
 * What each job does. Imported by the worker thread (jobs.worker.ts), so it imports no runtime
 * code: a thread starts with node:crypto and this file, not the broker and database clients.
 */
export const jobRunners: JobRunners = {
  /** PBKDF2-SHA256: the CPU-heavy work of password hashing. */
  'job.derive-key': ({ secret, salt, iterations }) => ({ iterations, key: pbkdf2Sync(secret, salt, iterations, 32, 'sha256').toString('hex') }),
  /** A sieve of Eratosthenes. */
  'job.count-primes': ({ limit }) => {
    const composite = new Uint8Array(limit);
    let primes = 0;
    for (let n = 2; n < limit; n++) {
      if (composite[n]) continue;
      primes++;
      for (let m = n * n; m < limit; m += n) composite[m] = 1;
    }
    return { limit, primes };
  },
  'job.word-count': ({ text, top }) => {
    const counts = new Map<string, number>();
    for (const word of text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []) counts.set(word, (counts.get(word) ?? 0) + 1);
    const words = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, top);
    return { words: Object.fromEntries(words), total: [...counts.values()].reduce((a, b) => a + b, 0) };
  },
  'job.checksum': ({ text, rounds }) => {
    let digest = Buffer.from(text);
    for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).digest();
    return { rounds, sha256: digest.toString('hex') };
  },
};
