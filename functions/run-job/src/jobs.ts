import { createHash, pbkdf2Sync } from 'node:crypto';
import { type EventData, PermanentError } from '@qfn/shared';
import { jobRequested, type JobRequest } from './events';

type Runners = { [K in JobRequest as K['type']]: (input: EventData<K>) => Record<string, unknown> };

const runners: Runners = {
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

export const jobTypes = Object.values(jobRequested).map((definition) => definition.type);

/** The job's kind: its event type without `job.`. */
export function jobKind(eventType: string): string {
  return eventType.slice('job.'.length);
}

/** Runs the job an event of `eventType` asks for, with its validated data. */
export function runJob<K extends JobRequest>(eventType: K['type'], input: EventData<K>): Record<string, unknown> {
  const runner = runners[eventType] as ((input: EventData<K>) => Record<string, unknown>) | undefined;
  if (!runner) throw new PermanentError(`unknown job type "${eventType}"; known: ${jobTypes.join(', ')}`);
  return runner(input);
}
