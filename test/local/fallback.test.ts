import { afterAll, describe, expect, it } from 'vitest';
import { messageEvent } from '@qfn/events';
import { parseConfig, commonConfig, defineFunction, type ScalingOptions } from '@qfn/shared/platform';
import type { ScaleDecision } from '../../local/autoscaler/decide';
import { hpaDefaults } from '../../local/autoscaler/hpa';
import { FunctionAutoscaler } from '../../local/autoscaler/loop';
import { localScaledObject } from '../../local/runner';
import { createQueueScalers } from '../../local/scalers/index';
import { uniqueName } from '../support/names';
import { amqpUrl } from '../support/rabbitmq';
import { waitFor } from '../support/wait';

/**
 * A queue length that cannot be read (here: the function's queue does not exist on the machine's
 * RabbitMQ, so both the management API and the AMQP declare fail) is an error, never an empty queue:
 * without a fallback the replicas are held; with one, after failureThreshold failures the function
 * runs fallback.replicas, as KEDA's pkg/fallback does, from zero too.
 */
const scalers = createQueueScalers(parseConfig(commonConfig, { BROKER: 'rabbitmq', AMQP_URL: amqpUrl }));
afterAll(() => scalers.close());

/** Runs the autoscaler until `untilReplicas` holds (or, with a number, for that many ms). */
async function run(scaling: ScalingOptions, untilReplicas: ((scaled: number[]) => boolean) | number) {
  const fn = defineFunction({
    name: 'unreadable',
    subscribes: ['x.y'],
    schema: messageEvent,
    handler: async () => {},
    scaling: { pollingInterval: 1, cooldownPeriod: 1, ...scaling },
  });
  const { policy, triggers } = localScaledObject(fn, fn.scaling, 'rabbitmq', uniqueName('fallback'));
  const scaled: number[] = [];
  const decisions: ScaleDecision[] = [];
  const autoscaler = new FunctionAutoscaler({
    name: fn.name,
    policy,
    hpa: { ...hpaDefaults, syncPeriodSeconds: 1 },
    read: scalers.reader(triggers),
    scale: (n) => scaled.push(n),
  });
  autoscaler.on('decision', (d) => decisions.push(d));
  autoscaler.start();
  try {
    if (typeof untilReplicas === 'number') await new Promise((resolve) => setTimeout(resolve, untilReplicas));
    else await waitFor('the expected replica counts', () => untilReplicas(scaled), 20_000, 100);
  } finally {
    await autoscaler.stop();
  }
  return { scaled, decisions };
}

describe('an unreadable queue length on the local runner', () => {
  it('holds the replicas without a fallback: not scaled to idleReplicaCount 0 past the cooldown, as an empty queue would be', async () => {
    const { scaled, decisions } = await run({ minReplicaCount: 2, idleReplicaCount: 0, maxReplicaCount: 5 }, 5_000);
    expect(scaled).toEqual([2]);
    expect(decisions.length).toBeGreaterThanOrEqual(4);
    expect(decisions.every((d) => d.to === 2 && /holding, queue length unavailable \(.*not found/.test(d.reason))).toBe(true);
    expect(decisions[0]!.errors.map((e) => e.split(':')[0])).toEqual(['queue', 'activation']);
  }, 30_000);

  it('applies the fallback after failureThreshold failures, from zero, up to fallback.replicas', async () => {
    const { scaled, decisions } = await run({ minReplicaCount: 0, maxReplicaCount: 5, fallback: { failureThreshold: 2, replicas: 3 } }, (s) => s.at(-1) === 3);
    expect(scaled).toEqual([0, 1, 3]);
    const activation = decisions.find((d) => d.to === 1)!;
    expect(activation.fallback).toEqual(['queue', 'activation']);
    expect(activation.reason).toMatch(/0→1: queue unreadable, fallback 3 replicas/);
    expect(decisions.filter((d) => d.to === 0 && d.from === 0).length).toBe(2);
  }, 30_000);
});
