import { createHash, pbkdf2Sync } from 'node:crypto';
import { PermanentError } from '@qfn/shared';

/** A job built from an event: its kind comes from the event type (`job.<kind>`), its input from the attributes. */
export interface Job {
  kind: string;
  run(): Record<string, unknown>;
}

type JobBuilder = (input: Record<string, string>) => Job;

function intInput(input: Record<string, string>, key: string, fallback: number, max: number): number {
  const raw = input[key];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new PermanentError(`messageAttributes.${key} must be an integer from 1 to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

const builders: Record<string, JobBuilder> = {
  /** Derives a key with PBKDF2-SHA256: the CPU-heavy work of password hashing. */
  'derive-key': (input) => {
    const iterations = intInput(input, 'iterations', 50_000, 2_000_000);
    const secret = input['secret'] ?? '';
    const salt = input['salt'] ?? 'qfn';
    return {
      kind: 'derive-key',
      run: () => ({ iterations, key: pbkdf2Sync(secret, salt, iterations, 32, 'sha256').toString('hex') }),
    };
  },
  /** Counts the primes below `limit` with a sieve of Eratosthenes. */
  'count-primes': (input) => {
    const limit = intInput(input, 'limit', 1_000_000, 50_000_000);
    return {
      kind: 'count-primes',
      run: () => {
        const composite = new Uint8Array(limit);
        let count = 0;
        for (let n = 2; n < limit; n++) {
          if (composite[n]) continue;
          count++;
          for (let m = n * n; m < limit; m += n) composite[m] = 1;
        }
        return { limit, primes: count };
      },
    };
  },
  /** Word frequencies of a text: the top `top` words. */
  'word-count': (input) => {
    const text = input['text'] ?? '';
    const top = intInput(input, 'top', 10, 100);
    return {
      kind: 'word-count',
      run: () => {
        const counts = new Map<string, number>();
        for (const word of text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []) counts.set(word, (counts.get(word) ?? 0) + 1);
        const words = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, top);
        return { words: Object.fromEntries(words), total: [...counts.values()].reduce((a, b) => a + b, 0) };
      },
    };
  },
  /** SHA-256 of the text, hashed `rounds` times. */
  checksum: (input) => {
    const rounds = intInput(input, 'rounds', 1, 1_000_000);
    const text = input['text'] ?? '';
    return {
      kind: 'checksum',
      run: () => {
        let digest = Buffer.from(text);
        for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).digest();
        return { rounds, sha256: digest.toString('hex') };
      },
    };
  },
};

export const jobKinds = Object.keys(builders);

/** Builds the job an event asks for; an unknown kind cannot succeed on retry, so it is permanent. */
export function buildJob(eventType: string, input: Record<string, string>): Job {
  const kind = eventType.slice('job.'.length);
  const builder = builders[kind];
  if (!builder) throw new PermanentError(`unknown job kind "${kind}"; known kinds: ${jobKinds.join(', ')}`);
  return builder(input);
}
