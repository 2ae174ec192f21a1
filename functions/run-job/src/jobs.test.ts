import { describe, expect, it } from 'vitest';
import { PermanentError } from '@qfn/shared';
import { buildJob } from './jobs';

describe('buildJob', () => {
  it('counts primes', () => {
    expect(buildJob('job.count-primes', { limit: '100' }).run()).toEqual({ limit: 100, primes: 25 });
  });

  it('derives the same key for the same input', () => {
    const a = buildJob('job.derive-key', { secret: 's', iterations: '1000' }).run();
    const b = buildJob('job.derive-key', { secret: 's', iterations: '1000' }).run();
    expect(a).toEqual(b);
    expect(a['key']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('counts words', () => {
    expect(buildJob('job.word-count', { text: 'the cat and the hat', top: '2' }).run()).toEqual({ words: { the: 2, and: 1 }, total: 5 });
  });

  it('hashes repeatedly', () => {
    expect(buildJob('job.checksum', { text: 'abc' }).run()['sha256']).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('refuses an unknown kind or a bad input permanently', () => {
    expect(() => buildJob('job.mine-bitcoin', {})).toThrowError(PermanentError);
    expect(() => buildJob('job.count-primes', { limit: 'lots' })).toThrowError(/limit must be an integer/);
  });
});
