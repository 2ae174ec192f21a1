import { describe, expect, it } from 'vitest';
import { PermanentError } from '@qfn/shared';
import { jobRequested } from './events';
import { runJob } from './jobs';
import runJobFunction from './function';

describe('runJob', () => {
  it('counts primes', () => {
    expect(runJob('job.count-primes', { limit: 100 })).toEqual({ limit: 100, primes: 25 });
  });

  it('derives the same key for the same input', () => {
    const input = jobRequested.deriveKey.schema.parse({ secret: 's', iterations: 1000 });
    const a = runJob('job.derive-key', input);
    expect(runJob('job.derive-key', input)).toEqual(a);
    expect(a['key']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('counts words', () => {
    expect(runJob('job.word-count', { text: 'the cat and the hat', top: 2 })).toEqual({ words: { the: 2, and: 1 }, total: 5 });
  });

  it('hashes repeatedly', () => {
    expect(runJob('job.checksum', { text: 'abc', rounds: 1 })['sha256']).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('refuses an unknown job permanently', () => {
    expect(() => runJob('job.mine-bitcoin' as never, {} as never)).toThrowError(PermanentError);
  });
});

describe('job events', () => {
  it('type their fields and fill in defaults', () => {
    expect(jobRequested.countPrimes.schema.parse({})).toEqual({ limit: 1_000_000 });
    expect(jobRequested.checksum.schema.parse({ text: 'x' })).toEqual({ text: 'x', rounds: 1 });
  });

  it('refuse strings where numbers belong and unknown fields', () => {
    const result = jobRequested.countPrimes.schema.safeParse({ limit: '100', color: 'red' });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.') || i.code).sort()).toEqual(['limit', 'unrecognized_keys']);
  });

  it('are what run-job subscribes to, each validating its own type', () => {
    expect(runJobFunction.subscribes).toEqual(['job.derive-key', 'job.count-primes', 'job.word-count', 'job.checksum']);
    expect(runJobFunction.events?.['job.checksum']).toBe(jobRequested.checksum);
  });
});
