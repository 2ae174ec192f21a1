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
    expect(() => defineFunction({ name: 'x', subscribes: ['a'], schema, handler, scaling: { minReplicaCount: 3, maxReplicaCount: 2 } })).toThrowError(
      /minReplicaCount must not exceed maxReplicaCount/,
    );
  });

  it('takes a handlerTimeoutMs of whole positive milliseconds, and none by default', () => {
    expect(defineFunction({ name: 'x', subscribes: ['a'], schema, handler }).handlerTimeoutMs).toBeUndefined();
    expect(defineFunction({ name: 'x', subscribes: ['a'], schema, handler, handlerTimeoutMs: 5_000 }).handlerTimeoutMs).toBe(5_000);
    for (const bad of [0, -1, 1.5]) {
      expect(() => defineFunction({ name: 'x', subscribes: ['a'], schema, handler, handlerTimeoutMs: bad })).toThrowError(/function x: handlerTimeoutMs/);
    }
  });

  it('takes a retry jitter of none, full or equal', () => {
    expect(defineFunction({ name: 'x', subscribes: ['a'], schema, handler, retry: { jitter: 'full' } }).retry.jitter).toBe('full');
    expect(() => defineFunction({ name: 'x', subscribes: ['a'], schema, handler, retry: { jitter: 'half' as never } })).toThrowError(/retry\.jitter/);
  });

  it('wants exactly one kind of handler', () => {
    expect(() => defineFunction({ name: 'x', subscribes: ['a'], schema } as never)).toThrowError(/exactly one of handler or handleBatch/);
  });
});

describe('scaling: the rest of the ScaledObject', () => {
  const declare = (scaling: Parameters<typeof defineFunction>[0]['scaling']) => defineFunction({ name: 'x', subscribes: ['a'], schema, handler, scaling });

  it('defaults every field as KEDA does (fallback off, behaviour static, no pause, SQS in-flight on, RabbitMQ QueueLength)', () => {
    const { scaling } = declare({});
    expect(scaling).toMatchObject({
      initialCooldownPeriod: 0,
      idleReplicaCount: undefined,
      fallback: undefined,
      paused: false,
      pausedReplicas: undefined,
      pausedScaleIn: false,
      pausedScaleOut: false,
      behavior: {},
      rabbitmq: { mode: 'QueueLength', excludeUnacknowledged: false, activationOverAmqp: true },
      sqs: { scaleOnInFlight: true, scaleOnDelayed: false },
    });
  });

  it('merges nested options and defaults the fallback behaviour to static', () => {
    const { scaling } = declare({ fallback: { failureThreshold: 3, replicas: 2 }, sqs: { scaleOnDelayed: true }, rabbitmq: { mode: 'MessageRate' } });
    expect(scaling.fallback).toEqual({ failureThreshold: 3, replicas: 2, behavior: 'static' });
    expect(scaling.sqs).toEqual({ scaleOnInFlight: true, scaleOnDelayed: true });
    expect(scaling.rabbitmq).toEqual({ mode: 'MessageRate', excludeUnacknowledged: false, activationOverAmqp: true });
  });

  it('takes the scale-down window from behavior.scaleDown as well, and refuses two different ones', () => {
    const { scaling } = declare({ behavior: { scaleDown: { stabilizationWindowSeconds: 30, selectPolicy: 'Min' } } });
    expect(scaling.scaleDownStabilizationWindowSeconds).toBe(30);
    expect(scaling.behavior).toEqual({ scaleDown: { selectPolicy: 'Min' } });
    expect(() => declare({ scaleDownStabilizationWindowSeconds: 10, behavior: { scaleDown: { stabilizationWindowSeconds: 30 } } })).toThrowError(
      /differ; declare one/,
    );
  });

  it.each([
    [{ idleReplicaCount: 0 }, /idleReplicaCount must be less than minReplicaCount/],
    [{ minReplicaCount: 2, idleReplicaCount: 2 }, /idleReplicaCount must be less than minReplicaCount/],
    [{ initialCooldownPeriod: -1 }, /initialCooldownPeriod/],
    [{ fallback: { failureThreshold: -1, replicas: 2 } }, /fallback.failureThreshold/],
    [{ fallback: { failureThreshold: 1, replicas: 1.5 } }, /fallback.replicas/],
    [{ fallback: { failureThreshold: 1, replicas: 1, behavior: 'sometimes' as never } }, /fallback.behavior/],
    [{ pausedReplicas: 101 }, /pausedReplicas must not exceed maxReplicaCount/],
    [{ behavior: { scaleUp: { policies: [] } } }, /behavior.scaleUp.policies must hold at least one policy/],
    [{ behavior: { scaleUp: { policies: [{ type: 'Pods' as const, value: 0, periodSeconds: 15 }] } } }, /behavior.scaleUp.policies.0.value/],
    [{ behavior: { scaleDown: { policies: [{ type: 'Percent' as const, value: 10, periodSeconds: 1801 }] } } }, /behavior.scaleDown.policies.0.periodSeconds/],
    [{ behavior: { scaleUp: { selectPolicy: 'Sometimes' as never } } }, /behavior.scaleUp.selectPolicy/],
    [{ behavior: { scaleUp: { stabilizationWindowSeconds: 3601 } } }, /behavior.scaleUp.stabilizationWindowSeconds/],
    [{ rabbitmq: { mode: 'DeliverGetRate' as never } }, /rabbitmq.mode/],
    [{ sqs: { scaleOnInFlight: 'yes' as never } }, /sqs.scaleOnInFlight/],
    [{ pollingIntervall: 5 } as never, /scaling/],
  ])('rejects %j', (scaling, message) => {
    expect(() => declare(scaling)).toThrowError(message);
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
