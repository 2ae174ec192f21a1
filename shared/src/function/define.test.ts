import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineFunction, kedaDefaults, retryDelayMs, retryDelays } from './define';

const schema = z.object({ n: z.number() });
const handler = async () => {};

describe('defineFunction', () => {
  it("fills in KEDA's defaults for scaling", () => {
    const fn = defineFunction({ name: 'count-things', subscribes: ['thing.created'], schema, handler });
    expect(fn.scaling).toEqual(kedaDefaults);
    expect(fn.scaling).toMatchObject({ minReplicaCount: 0, maxReplicaCount: 100, pollingInterval: 30, cooldownPeriod: 300 });
  });

  it('keeps overrides and merges partial policies', () => {
    const fn = defineFunction({
      name: 'count-things',
      subscribes: ['thing.*'],
      schema,
      handler,
      retry: { maxAttempts: 3 },
      scaling: { maxReplicaCount: 8, pollingInterval: 5 },
    });
    expect(fn.retry.maxAttempts).toBe(3);
    expect(fn.retry.initialDelayMs).toBe(1000);
    expect(fn.scaling.maxReplicaCount).toBe(8);
    expect(fn.scaling.cooldownPeriod).toBe(300);
  });

  it('rejects a name that cannot be a Kubernetes object name', () => {
    expect(() => defineFunction({ name: 'Store_Message', subscribes: ['a'], schema, handler })).toThrowError(/name must be a DNS label/);
  });

  it('rejects min replicas above max', () => {
    expect(() =>
      defineFunction({ name: 'x', subscribes: ['a'], schema, handler, scaling: { minReplicaCount: 3, maxReplicaCount: 2 } }),
    ).toThrowError(/minReplicaCount must not exceed maxReplicaCount/);
  });

  it('wants exactly one kind of handler', () => {
    expect(() => defineFunction({ name: 'x', subscribes: ['a'], schema } as never)).toThrowError(/exactly one of handler or handleBatch/);
  });
});

describe('retry delays', () => {
  const policy = { maxAttempts: 6, initialDelayMs: 100, multiplier: 2, maxDelayMs: 500 };
  it('grow exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((a) => retryDelayMs(policy, a))).toEqual([100, 200, 400, 500, 500]);
  });
  it('list each distinct delay once', () => {
    expect(retryDelays(policy)).toEqual([100, 200, 400, 500]);
  });
});
