import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { httpFunctionConfig } from '../runtime/run-http';
import { defineFunction } from './define';
import { defineHttpFunction, isHttpFunction } from './http';

const app = () => ({ fetch: () => new Response('ok') });

describe('defineHttpFunction', () => {
  it('fills in the pool, the drain time and the probe paths', () => {
    const gateway = defineHttpFunction({ name: 'gateway', config: httpFunctionConfig, publishes: ['order.placed'], app });
    expect(gateway).toMatchObject({
      kind: 'http',
      name: 'gateway',
      poolSize: 5,
      shutdownGracePeriodSeconds: 10,
      publishes: ['order.placed'],
      probes: { liveness: '/healthz', readiness: '/readyz' },
    });
    expect(Object.isFrozen(gateway)).toBe(true);
  });

  it('refuses a name that is not a DNS label, and a pool or drain time out of range', () => {
    expect(() => defineHttpFunction({ name: 'Gateway_1', config: httpFunctionConfig, publishes: 'any', app })).toThrow(/DNS label/);
    expect(() => defineHttpFunction({ name: 'gateway', config: httpFunctionConfig, publishes: 'any', poolSize: 0, app })).toThrow(/poolSize/);
    expect(() => defineHttpFunction({ name: 'gateway', config: httpFunctionConfig, publishes: 'any', shutdownGracePeriodSeconds: 0, app })).toThrow(
      /shutdownGracePeriodSeconds/,
    );
  });

  it('is told apart from a consumer declaration', () => {
    const consumer = defineFunction({ name: 'consumer', subscribes: ['a.b'], schema: z.object({}), handler: async () => {} });
    expect(isHttpFunction(defineHttpFunction({ name: 'gateway', config: httpFunctionConfig, publishes: 'any', app }))).toBe(true);
    expect(isHttpFunction(consumer)).toBe(false);
    expect(isHttpFunction(undefined)).toBe(false);
  });
});
