import { describe, expect, it } from 'vitest';
import type { RetryPolicy } from '../function/define';
import { PermanentError } from './errors';
import { backoffDelayMs, decideFailure } from './failure-policy';

const policy: RetryPolicy = { maxAttempts: 4, initialDelayMs: 1_000, multiplier: 2, maxDelayMs: 3_000 };

describe('decideFailure', () => {
  it('retries an ordinary error before the last attempt, with the error as the reason', () => {
    expect(decideFailure(new Error('connection reset'), 1, { ...policy, jitter: 'none' })).toEqual({
      action: 'retry',
      delayMs: 1_000,
      reason: 'Error: connection reset',
    });
  });

  it('dead-letters a PermanentError at once, whatever the attempt', () => {
    expect(decideFailure(new PermanentError('no such account'), 1, policy)).toEqual({
      action: 'dead-letter',
      cause: 'permanent',
      reason: 'permanent failure: PermanentError: no such account',
    });
  });

  it('dead-letters once the last allowed attempt failed, naming the count and the last error', () => {
    expect(decideFailure(new TypeError('x is undefined'), 4, policy)).toEqual({
      action: 'dead-letter',
      cause: 'exhausted',
      reason: 'failed 4 of 4 attempts; last error: TypeError: x is undefined',
    });
  });

  it('describes a thrown non-error by its string form', () => {
    expect(decideFailure('boom', 1, { ...policy, jitter: 'none' })).toMatchObject({ action: 'retry', reason: 'boom' });
  });
});

describe('backoffDelayMs', () => {
  it('without jitter, doubles from the initial delay up to the maximum', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelayMs({ ...policy, jitter: 'none' }, attempt))).toEqual([1_000, 2_000, 3_000, 3_000]);
  });

  it('with full jitter, spreads the delay over 0 to the backoff', () => {
    const full = { ...policy, jitter: 'full' as const };
    expect(backoffDelayMs(full, 2, () => 0)).toBe(0);
    expect(backoffDelayMs(full, 2, () => 0.25)).toBe(500);
    expect(backoffDelayMs(full, 2, () => 0.999_999)).toBe(2_000);
  });

  it('with equal jitter (the default), keeps at least half the backoff', () => {
    expect(backoffDelayMs(policy, 2, () => 0)).toBe(1_000);
    expect(backoffDelayMs(policy, 2, () => 0.5)).toBe(1_500);
    expect(backoffDelayMs({ ...policy, jitter: 'equal' }, 3, () => 0.999_999)).toBe(3_000);
  });

  it('never leaves the bounds, over many random draws', () => {
    for (let i = 0; i < 200; i++) {
      const equal = backoffDelayMs(policy, 3);
      const full = backoffDelayMs({ ...policy, jitter: 'full' }, 3);
      expect(equal).toBeGreaterThanOrEqual(1_500);
      expect(equal).toBeLessThanOrEqual(3_000);
      expect(full).toBeGreaterThanOrEqual(0);
      expect(full).toBeLessThanOrEqual(3_000);
    }
  });

  it('passes the jittered delay through decideFailure', () => {
    expect(decideFailure(new Error('busy'), 1, { ...policy, jitter: 'full' }, () => 0.5)).toMatchObject({ action: 'retry', delayMs: 500 });
  });
});
