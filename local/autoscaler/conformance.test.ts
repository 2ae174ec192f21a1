/**
 * Conformance of the local autoscaler's decision functions with upstream test tables. Each case names its
 * source: Kubernetes v1.34.3 `pkg/controller/podautoscaler/{replica_calculator_test.go,horizontal_test.go}`,
 * KEDA v2.19.0 `pkg/scaling/executor/scale_scaledobjects_test.go`, `pkg/fallback/fallback_test.go`,
 * `pkg/scalers/rabbitmq_scaler_test.go`, `pkg/scalers/aws_sqs_queue_scaler_test.go`. Where an upstream case
 * checks something the local runner has no counterpart for (events, conditions, pod readiness), only the
 * replica arithmetic is taken.
 */
import { describe, expect, it } from 'vitest';
import { kedaDefaults, type FallbackPolicy, type ScalingPolicy } from '@qfn/shared/platform';
import { decideScale, initialScalerState, type ScalerState } from './decide';
import { applyFallback } from './fallback';
import {
  convertDesiredReplicasWithBehaviorRate,
  externalPerPodReplicas,
  hpaDefaults,
  replicasChangePerPeriod,
  scaleLimitOf,
  stabilizeRecommendation,
  type HpaScalingRules,
  type ResolvedBehavior,
  type ScaleEvent,
} from './hpa';
import { rabbitmqHttpMetric, sqsAttributeNames, sqsQueueLength, type TriggerReading } from './scalers';

const now = 1_000_000_000;

describe('Kubernetes replica_calculator_test.go: GetExternalPerPodMetricReplicas (tolerance 0.1)', () => {
  // levels are milli-values; the ratio is the same in whole units.
  it.each([
    ['TestReplicaCalcScaleUpPerPodCMExternal', 3, 8600, 2150, 4],
    ['TestReplicaCalcScaleDownPerPodCMExternal', 5, 8600, 2867, 3],
    ['TestReplicaCalcTolerancePerPodCMExternal', 3, 8600, 2900, 3],
  ])('%s: %i replicas, usage %i, target %i per pod → %i', (_, current, usage, target, expected) => {
    expect(externalPerPodReplicas(current, usage, target, 0.1).replicas).toBe(expected);
  });
});

/** horizontal_test.go generateScalingRules(pods, podsPeriod, percent, percentPeriod, stabilizationWindow), selectPolicy Max. */
function rules(pods: number, podsPeriod: number, percent: number, percentPeriod: number, window: number): HpaScalingRules {
  const policies = [];
  if (pods !== 0) policies.push({ type: 'Pods' as const, value: pods, periodSeconds: podsPeriod });
  if (percent !== 0) policies.push({ type: 'Percent' as const, value: percent, periodSeconds: percentPeriod });
  return { stabilizationWindowSeconds: window, selectPolicy: 'Max', policies };
}

/** horizontal_test.go generateEventsUniformDistribution: events in the middle of equal segments of the last `periodSeconds`. */
function uniformEvents(changes: number[], periodSeconds: number): ScaleEvent[] {
  const segment = periodSeconds / changes.length;
  // Go's time.Duration(float) truncates to whole nanoseconds before the multiplication by time.Second.
  return changes.map((change, index) => ({ change, at: now - Math.trunc(periodSeconds - segment * (index + 1) + segment / 2) * 1000 }));
}

/** GenerateHPAScaleUpRules / GenerateHPAScaleDownRules: the defaults for a direction without rules. */
const defaultUp: HpaScalingRules = { stabilizationWindowSeconds: 0, ...hpaDefaults.scaleUp };
const defaultDown: HpaScalingRules = { stabilizationWindowSeconds: 300, ...hpaDefaults.scaleDown };

describe('Kubernetes horizontal_test.go: TestScalingWithRules (convertDesiredReplicasWithBehaviorRate)', () => {
  interface Case {
    name: string;
    current: number;
    desired: number;
    min: number;
    max: number;
    up?: HpaScalingRules;
    down?: HpaScalingRules;
    upEvents?: ScaleEvent[];
    downEvents?: ScaleEvent[];
    expected: number;
    reason: string;
  }
  const cases: Case[] = [
    { name: 'prenormalized desired replicas within range', current: 5, desired: 7, min: 3, max: 8, expected: 7, reason: 'DesiredWithinRange' },
    { name: 'prenormalized desired replicas < minReplicas', current: 3, desired: 1, min: 2, max: 8, expected: 2, reason: 'TooFewReplicas' },
    {
      name: 'prenormalized desired replicas within range when minReplicas is 0',
      current: 1,
      desired: 0,
      min: 0,
      max: 10,
      expected: 0,
      reason: 'DesiredWithinRange',
    },
    {
      name: 'maxReplicas is the limit because maxReplicas < scaleUpLimit',
      current: 20,
      desired: 1000,
      min: 1,
      max: 10,
      expected: 10,
      reason: 'TooManyReplicas',
    },
    {
      name: 'desired replica count is more than the maximum replica count',
      current: 100,
      desired: 1000,
      min: 100,
      max: 150,
      expected: 150,
      reason: 'TooManyReplicas',
    },
    {
      name: 'scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies',
      current: 3,
      desired: 1000,
      min: 1,
      max: 2000,
      up: rules(0, 0, 1, 60, 0),
      expected: 4,
      reason: 'ScaleUpLimit',
    },
    { name: 'scaleUp with default behavior', current: 10, desired: 50, min: 1, max: 1000, expected: 20, reason: 'ScaleUpLimit' },
    {
      name: 'scaleUp with pods policy larger than percent policy',
      current: 10,
      desired: 500,
      min: 1,
      max: 1000,
      up: rules(100, 60, 100, 60, 0),
      expected: 110,
      reason: 'ScaleUpLimit',
    },
    {
      name: 'scaleUp with percent policy larger than pods policy',
      current: 10,
      desired: 500,
      min: 1,
      max: 1000,
      up: rules(2, 60, 100, 60, 0),
      expected: 20,
      reason: 'ScaleUpLimit',
    },
    {
      name: 'scaleUp with spec MaxReplicas limitation with large pod policy',
      current: 10,
      desired: 50,
      min: 1,
      max: 1000,
      up: rules(100, 60, 0, 0, 0),
      expected: 50,
      reason: 'DesiredWithinRange',
    },
    {
      name: 'scaleUp with spec MaxReplicas limitation with large percent policy',
      current: 10,
      desired: 50,
      min: 1,
      max: 1000,
      up: rules(10000, 60, 0, 0, 0),
      expected: 50,
      reason: 'DesiredWithinRange',
    },
    {
      name: 'scaleUp with pod policy limitation',
      current: 10,
      desired: 50,
      min: 1,
      max: 1000,
      up: rules(30, 60, 0, 0, 0),
      expected: 40,
      reason: 'ScaleUpLimit',
    },
    {
      name: 'scaleUp with percent policy limitation',
      current: 10,
      desired: 50,
      min: 1,
      max: 1000,
      up: rules(0, 0, 200, 60, 0),
      expected: 30,
      reason: 'ScaleUpLimit',
    },
    {
      name: 'scaleDown with percent policy larger than pod policy',
      current: 100,
      desired: 2,
      min: 1,
      max: 1000,
      down: rules(20, 60, 1, 60, 300),
      expected: 80,
      reason: 'ScaleDownLimit',
    },
    {
      name: 'scaleDown with pod policy larger than percent policy',
      current: 100,
      desired: 2,
      min: 1,
      max: 1000,
      down: rules(2, 60, 1, 60, 300),
      expected: 98,
      reason: 'ScaleDownLimit',
    },
    {
      name: 'scaleDown with spec MinReplicas=nil limitation with large pod policy',
      current: 10,
      desired: 0,
      min: 1,
      max: 1000,
      down: rules(100, 60, 0, 0, 300),
      expected: 1,
      reason: 'TooFewReplicas',
    },
    {
      name: 'scaleDown with spec MinReplicas limitation with large percent policy',
      current: 10,
      desired: 2,
      min: 5,
      max: 1000,
      down: rules(0, 0, 100, 60, 300),
      expected: 5,
      reason: 'TooFewReplicas',
    },
    {
      name: 'scaleDown with pod policy limitation',
      current: 10,
      desired: 2,
      min: 1,
      max: 1000,
      down: rules(5, 60, 0, 0, 300),
      expected: 5,
      reason: 'ScaleDownLimit',
    },
    {
      name: 'scaleDown with percent policy limitation',
      current: 10,
      desired: 5,
      min: 1,
      max: 1000,
      down: rules(0, 0, 50, 60, 300),
      expected: 5,
      reason: 'DesiredWithinRange',
    },
    {
      name: 'scaleUp with spec MaxReplicas limitation with large pod policy and events',
      current: 100,
      desired: 500,
      min: 1,
      max: 200,
      up: rules(300, 60, 0, 0, 0),
      upEvents: uniformEvents([1, 5, 9], 120),
      expected: 200,
      reason: 'TooManyReplicas',
    },
    {
      name: 'scaleUp with spec MaxReplicas limitation with large percent policy and events',
      current: 100,
      desired: 500,
      min: 1,
      max: 200,
      up: rules(0, 0, 10000, 60, 0),
      upEvents: uniformEvents([1, 5, 9], 120),
      expected: 200,
      reason: 'TooManyReplicas',
    },
    {
      name: 'scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events',
      current: 100,
      desired: 500,
      min: 1,
      max: 1000,
      up: rules(5, 120, 0, 0, 0),
      upEvents: uniformEvents([1, 5, 9], 120),
      expected: 100,
      reason: 'ScaleUpLimit',
    },
    {
      name: 'scaleUp with pod policy and previous scale up events',
      current: 100,
      desired: 500,
      min: 1,
      max: 1000,
      up: rules(150, 120, 0, 0, 0),
      upEvents: uniformEvents([1, 5, 9], 120),
      expected: 235,
      reason: 'ScaleUpLimit',
    },
    {
      name: 'scaleUp with percent policy and previous scale up events',
      current: 100,
      desired: 500,
      min: 1,
      max: 1000,
      up: rules(0, 0, 200, 120, 0),
      upEvents: uniformEvents([1, 5, 9], 120),
      expected: 255,
      reason: 'ScaleUpLimit',
    },
    {
      name: 'scaleUp with percent policy and previous scale up and down events',
      current: 6,
      desired: 24,
      min: 1,
      max: 1000,
      up: rules(0, 0, 300, 300, 0),
      upEvents: uniformEvents([4], 120),
      downEvents: uniformEvents([2], 120),
      expected: 16,
      reason: 'ScaleUpLimit',
    },
    {
      name: 'scaleDown with default policy and previous events',
      current: 10,
      desired: 5,
      min: 1,
      max: 1000,
      downEvents: uniformEvents([1, 5, 9], 120),
      expected: 5,
      reason: 'DesiredWithinRange',
    },
    {
      name: 'scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events',
      current: 100,
      desired: 0,
      min: 1,
      max: 1000,
      down: rules(115, 120, 0, 0, 300),
      downEvents: uniformEvents([1, 5, 9], 120),
      expected: 1,
      reason: 'TooFewReplicas',
    },
    {
      name: 'scaleDown with spec MinReplicas limitation with large pod policy and previous events',
      current: 100,
      desired: 0,
      min: 5,
      max: 1000,
      down: rules(130, 120, 0, 0, 300),
      downEvents: uniformEvents([1, 5, 9], 120),
      expected: 5,
      reason: 'TooFewReplicas',
    },
    {
      name: 'scaleDown with spec MinReplicas limitation with large percent policy and previous events',
      current: 100,
      desired: 2,
      min: 5,
      max: 1000,
      down: rules(0, 0, 100, 120, 300),
      downEvents: uniformEvents([1, 5, 9], 120),
      expected: 5,
      reason: 'TooFewReplicas',
    },
    {
      name: 'scaleDown with pod policy limitation and previous events',
      current: 100,
      desired: 2,
      min: 1,
      max: 1000,
      down: rules(5, 120, 0, 0, 300),
      downEvents: uniformEvents([1, 5, 9], 120),
      expected: 100,
      reason: 'ScaleDownLimit',
    },
    {
      name: 'scaleDown with percent policy limitation and previous events',
      current: 100,
      desired: 0,
      min: 1,
      max: 1000,
      down: rules(0, 0, 50, 120, 300),
      downEvents: uniformEvents([2, 4, 6], 120),
      expected: 56,
      reason: 'ScaleDownLimit',
    },
    {
      name: 'scaleDown with percent policy and previous scale up and down events',
      current: 10,
      desired: 1,
      min: 1,
      max: 1000,
      down: rules(0, 0, 50, 180, 0),
      upEvents: uniformEvents([2], 120),
      downEvents: uniformEvents([4], 120),
      expected: 6,
      reason: 'ScaleDownLimit',
    },
    {
      name: 'scaleDown with previous events preventing further scale down',
      current: 100,
      desired: 0,
      min: 1,
      max: 1000,
      down: rules(0, 0, 10, 120, 300),
      downEvents: uniformEvents([10, 10, 10], 120),
      expected: 100,
      reason: 'ScaleDownLimit',
    },
    {
      name: 'scaleDown with with previous events still allowing more scale down',
      current: 10,
      desired: 5,
      min: 1,
      max: 1000,
      down: rules(0, 0, 1000, 120, 300),
      downEvents: uniformEvents([10, 10, 10], 120),
      expected: 5,
      reason: 'DesiredWithinRange',
    },
    {
      name: "check 'outdated' flag for events for one behavior for up",
      current: 100,
      desired: 200,
      min: 1,
      max: 1000,
      up: rules(1000, 60, 0, 0, 0),
      upEvents: uniformEvents([8, 12, 9, 11], 120),
      expected: 200,
      reason: 'DesiredWithinRange',
    },
    {
      name: "check that events were not marked 'outdated' for two different policies in the behavior for up",
      current: 100,
      desired: 200,
      min: 1,
      max: 1000,
      up: rules(1000, 120, 100, 60, 0),
      upEvents: uniformEvents([8, 12, 9, 11], 120),
      expected: 200,
      reason: 'DesiredWithinRange',
    },
    {
      name: "check that events were marked 'outdated' for two different policies in the behavior for up",
      current: 100,
      desired: 200,
      min: 1,
      max: 1000,
      up: rules(1000, 30, 100, 60, 0),
      upEvents: uniformEvents([8, 12, 9, 11], 120),
      expected: 200,
      reason: 'DesiredWithinRange',
    },
    {
      name: "check 'outdated' flag for events for one behavior for down",
      current: 100,
      desired: 5,
      min: 1,
      max: 1000,
      down: rules(1000, 60, 0, 0, 300),
      downEvents: uniformEvents([8, 12, 9, 11], 120),
      expected: 5,
      reason: 'DesiredWithinRange',
    },
    {
      name: "check that events were not marked 'outdated' for two different policies in the behavior for down",
      current: 100,
      desired: 5,
      min: 1,
      max: 1000,
      down: rules(1000, 120, 100, 60, 300),
      downEvents: uniformEvents([8, 12, 9, 11], 120),
      expected: 5,
      reason: 'DesiredWithinRange',
    },
    {
      name: "check that events were marked 'outdated' for two different policies in the behavior for down",
      current: 100,
      desired: 5,
      min: 1,
      max: 1000,
      down: rules(1000, 30, 100, 60, 300),
      downEvents: uniformEvents([8, 12, 9, 11], 120),
      expected: 5,
      reason: 'DesiredWithinRange',
    },
  ];
  it.each(cases)('$name', (c) => {
    const behavior: ResolvedBehavior = { scaleUp: c.up ?? defaultUp, scaleDown: c.down ?? defaultDown };
    const result = convertDesiredReplicasWithBehaviorRate({
      currentReplicas: c.current,
      desiredReplicas: c.desired,
      minReplicas: c.min,
      maxReplicas: c.max,
      behavior,
      scaleUpEvents: c.upEvents ?? [],
      scaleDownEvents: c.downEvents ?? [],
      now,
    });
    expect({ replicas: result.replicas, reason: result.reason }).toEqual({ replicas: c.expected, reason: c.reason });
  });

  it.each([
    ['TestCalculateScaleUpLimitWithScalingRules: selectPolicy Min of +2 pods and +50 % from 1 → 2', 'up', 1, 2],
    ['TestCalculateScaleDownLimitWithBehaviors: selectPolicy Min of −2 pods and −50 % from 5 → 3', 'down', 5, 3],
  ] as const)('%s', (_name, direction, current, expected) => {
    const minRules: HpaScalingRules = {
      stabilizationWindowSeconds: 300,
      selectPolicy: 'Min',
      policies: [
        { type: 'Pods', value: 2, periodSeconds: 60 },
        { type: 'Percent', value: 50, periodSeconds: 60 },
      ],
    };
    expect(scaleLimitOf(direction, current, [], [], minRules, now)).toBe(expected);
  });

  it('TestStoreScaleEvents (getReplicasChangePerPeriod over 60 s): counts only events inside the period', () => {
    const at = (secondsAgo: number, change: number) => ({ at: now - secondsAgo * 1000, change });
    expect(replicasChangePerPeriod(60, [at(61, 7)], now)).toBe(0);
    expect(replicasChangePerPeriod(60, [at(58, 7)], now)).toBe(7);
    expect(replicasChangePerPeriod(60, [at(61, 7), at(59, 6)], now)).toBe(6);
    expect(replicasChangePerPeriod(60, [at(29, 8), at(59, 6), at(61, 7), at(61, 9)], now)).toBe(14);
    expect(replicasChangePerPeriod(60, [at(58, 7), at(59, 6)], now)).toBe(13);
  });
});

describe('Kubernetes horizontal_test.go: TestNormalizeDesiredReplicasWithBehavior (stabilizeRecommendationWithBehaviors)', () => {
  const rec = (replicas: number, minutesAgo: number) => ({ replicas, at: now - minutesAgo * 60_000 });
  it.each([
    ['empty recommendations for scaling down', [], 100, 5, 0, 0, 5],
    ['simple scale down stabilization', [rec(4, 2), rec(5, 1)], 100, 3, 0, 180, 5],
    ['simple scale up stabilization', [rec(4, 2), rec(5, 1)], 1, 7, 300, 0, 4],
    ['no scale down stabilization', [rec(1, 2), rec(2, 1)], 100, 3, 300, 0, 3],
    ['no scale up stabilization', [rec(4, 2), rec(5, 1)], 1, 3, 0, 300, 3],
    ['no scale down stabilization, reuse recommendation element', [rec(10, 10), rec(9, 9)], 100, 3, 0, 0, 3],
    ['no scale up stabilization, reuse recommendation element', [rec(10, 10), rec(9, 9)], 1, 100, 0, 0, 100],
    ['scale down stabilization, reuse one of obsolete recommendation element', [rec(10, 10), rec(4, 1), rec(5, 2), rec(9, 9)], 100, 3, 0, 180, 5],
    ['scale up stabilization, reuse one of obsolete recommendation element', [rec(10, 100), rec(6, 1), rec(5, 2), rec(9, 3)], 1, 100, 300, 0, 5],
    ['scale up and down stabilization, do not scale up when prenormalized rec goes down', [rec(2, 100), rec(3, 3)], 2, 1, 300, 300, 2],
    ['scale up and down stabilization, do not scale down when prenormalized rec goes up', [rec(2, 100), rec(1, 3)], 2, 3, 300, 300, 2],
  ] as const)('%s', (_, recommendations, current, desired, upWindow, downWindow, expected) => {
    const result = stabilizeRecommendation({
      currentReplicas: current,
      desiredReplicas: desired,
      recommendations,
      scaleUpWindowSeconds: upWindow,
      scaleDownWindowSeconds: downWindow,
      now,
    });
    expect(result.replicas).toBe(expected);
    expect(result.recommendations.at(-1)).toEqual({ at: now, replicas: desired });
  });
});

/** A ScaledObject as the executor tests build it: defaults, then the test's fields. */
const policyOf = (overrides: Partial<ScalingPolicy>): ScalingPolicy => ({ ...kedaDefaults, pollingInterval: 1, ...overrides });
/** A state the executor meets: `replicas` running, created long ago, never active (LastActiveTime nil). */
const stateAt = (replicas: number): ScalerState => ({ ...initialScalerState(kedaDefaults), replicas, createdAt: now - 60_000, lastHpaSyncAt: now });
const executor = (policy: ScalingPolicy, replicas: number, active: boolean) =>
  decideScale({ name: 'so', policy, state: stateAt(replicas), reading: { depth: active ? 10 : 0 }, now }).decision;

describe('KEDA scale_scaledobjects_test.go (RequestScale)', () => {
  it.each([
    ['TestScaleToMinReplicasWhenNotActive', { minReplicaCount: 0 }, 10, false, 0],
    ['TestScaleToMinReplicasFromLowerInitialReplicaCount', { minReplicaCount: 5 }, 1, false, 5],
    ['TestScaleFromMinReplicasWhenActive', { minReplicaCount: 0 }, 0, true, 1],
    ['TestScaleToIdleReplicasWhenNotActive', { idleReplicaCount: 0, minReplicaCount: 5 }, 10, false, 0],
    ['TestScaleFromIdleToMinReplicasWhenActive', { idleReplicaCount: 0, minReplicaCount: 5 }, 0, true, 5],
    ['TestScaleToPausedReplicasCount', { pausedReplicas: 0 }, 5, true, 0],
    ['TestEventWitTriggerInfo (scaled from 2 to 5)', { idleReplicaCount: 0, minReplicaCount: 5 }, 2, true, 5],
    ['TestNoScaleToMinReplicasWhenNotActiveAndPauseScaleInAnnotationSet', { minReplicaCount: 0, pausedScaleIn: true }, 10, false, 10],
    ['TestNoScaleToIdleReplicasWhenNotActiveAndPauseScaleInAnnotationSet', { idleReplicaCount: 0, minReplicaCount: 5, pausedScaleIn: true }, 10, false, 10],
    ['TestNoScaleFromMinReplicasWhenActiveAndPausedScaleOutAnnotationSet', { minReplicaCount: 0, pausedScaleOut: true }, 0, true, 0],
    [
      'TestNoScaleFromIdleReplicasToMinReplicasWhenActiveAndPausedScaleOutAnnotationSet',
      { idleReplicaCount: 0, minReplicaCount: 5, maxReplicaCount: 10, pausedScaleOut: true },
      0,
      true,
      0,
    ],
  ] as const)('%s', (_, overrides, replicas, active, expected) => {
    const decision = executor(policyOf(overrides), replicas, active);
    expect(decision.to).toBe(expected);
  });

  it('RequestScale: active with one trigger failing changes nothing and keeps lastActiveTime (case isError)', () => {
    const policy = policyOf({ minReplicaCount: 0 });
    const state = { ...stateAt(2), lastActiveAt: now - 400_000, lastHpaSyncAt: now };
    const readings: TriggerReading[] = [
      { trigger: 'queue', error: 'management API answered 503', target: 5, activation: 0 },
      { trigger: 'activation', value: 3, active: true, target: 5, activation: 0 },
    ];
    const step = decideScale({ name: 'so', policy, state, readings, now });
    expect(step.decision.to).toBe(2);
    expect(step.state.lastActiveAt).toBe(now - 400_000);
  });

  it('RequestScale: inactive with a failing trigger and no fallback holds, even past the cooldown', () => {
    const policy = policyOf({ minReplicaCount: 0, cooldownPeriod: 10 });
    const state = { ...stateAt(3), lastActiveAt: now - 400_000 };
    const step = decideScale({ name: 'so', policy, state, reading: { error: 'connection refused' }, now });
    expect(step.decision).toMatchObject({ to: 3, errors: ['queue: connection refused'] });
  });
});

describe('KEDA fallback_test.go (GetMetricsWithFallback, doFallback)', () => {
  const failing: TriggerReading = { trigger: 'queue', error: 'some error', target: 10, activation: 0 };
  const good: TriggerReading = { trigger: 'queue', value: 7, active: true, target: 10, activation: 0 };
  const fallback = (behavior: FallbackPolicy['behavior'] = 'static'): FallbackPolicy => ({ failureThreshold: 3, replicas: 10, behavior });

  it('should return the expected metric when fallback is disabled', () => {
    expect(applyFallback([good], {}, undefined, 5).readings).toEqual([good]);
  });
  it('should reset the health status when scaler metrics are available when fallback is enabled', () => {
    expect(applyFallback([good], { queue: 3 }, fallback(), 5).failures).toEqual({ queue: 0 });
  });
  it('should propagate the error when fallback is disabled', () => {
    expect(applyFallback([failing], {}, undefined, 5).readings).toEqual([failing]);
  });
  it('should bump the number of failures when metrics call fails', () => {
    const result = applyFallback([failing], { queue: 0 }, fallback(), 5);
    expect(result.failures).toEqual({ queue: 1 });
    expect(result.readings[0]).toHaveProperty('error', 'some error');
  });
  it('should return a normalised metric when number of failures are beyond threshold (10 replicas × target 10 = 100)', () => {
    const result = applyFallback([failing], { queue: 3 }, fallback(), 5);
    expect(result.failures).toEqual({ queue: 4 });
    expect(result.readings[0]).toMatchObject({ value: 100, active: true, fallback: true });
  });
  it("should use fallback replicas when current replicas is lower when behavior is 'currentReplicasIfHigher' (4 → 100)", () => {
    expect(applyFallback([failing], { queue: 3 }, fallback('currentReplicasIfHigher'), 4).readings[0]).toMatchObject({ value: 100 });
  });
  it("should use current replicas when behavior is 'currentReplicas' (6 → 60)", () => {
    expect(applyFallback([failing], { queue: 3 }, fallback('currentReplicas'), 6).readings[0]).toMatchObject({ value: 60 });
  });
  it("should ignore current replicas when behavior is 'static' (6 → 100)", () => {
    expect(applyFallback([failing], { queue: 3 }, fallback('static'), 6).readings[0]).toMatchObject({ value: 100 });
  });
  it('currentReplicasIfLower (fallback.go doFallback): the lower of the current 6 and 10 → 60', () => {
    expect(applyFallback([failing], { queue: 3 }, fallback('currentReplicasIfLower'), 6).readings[0]).toMatchObject({ value: 60 });
  });

  it('through the executor and the HPA: 0 → 1 once fallback is active (scale_handler: fallback counts as active), then the HPA goes to fallback.replicas', () => {
    const policy = policyOf({
      minReplicaCount: 0,
      maxReplicaCount: 20,
      targetQueueLength: 10,
      fallback: { failureThreshold: 2, replicas: 6, behavior: 'static' },
    });
    let state = initialScalerState(policy);
    const to: number[] = [];
    for (let tick = 0; tick < 6; tick++) {
      const step = decideScale({
        name: 'so',
        policy,
        hpa: { ...hpaDefaults, syncPeriodSeconds: 1 },
        state,
        reading: { error: 'broker down' },
        now: now + tick * 1000,
      });
      state = step.state;
      to.push(step.decision.to);
    }
    // failures 1, 2 hold (≤ threshold); the 3rd activates; the HPA then proposes 6 (fallback metric 60 / target 10), limited to +4 per 15 s.
    expect(to).toEqual([0, 0, 1, 5, 5, 5]);
  });
});

describe('KEDA rabbitmq_scaler_test.go: TestGetQueueInfo (testQueueInfoTestData, activation 0)', () => {
  const info = (messages: number, unacked: number, publishRate: number, deliverRate: number) => ({
    messages,
    messages_unacknowledged: unacked,
    message_stats: { publish_details: { rate: publishRate }, deliver_get_details: { rate: deliverRate } },
    name: 'evaluate_trials',
  });
  const rows = [
    [4, 1, 0, 0, true],
    [1, 1, 0, 0, true],
    [1, 0, 0, 0, true],
    [0, 0, 0, 0, false],
    [4, 1, 1.4, 0.8, true],
    [1, 1, 1.4, 1.2, true],
    [1, 0, 1.4, 1.6, true],
    [0, 0, 1.4, 2, false],
  ] as const;
  it.each(rows)('queueLength / mode QueueLength: messages %i (unacked %i), rates %d/%d → active %s', (messages, unacked, publish, deliver, active) => {
    expect(rabbitmqHttpMetric(info(messages, unacked, publish, deliver), { mode: 'QueueLength', excludeUnacknowledged: false, activation: 0 })).toEqual({
      value: messages,
      active,
    });
  });
  const rateRows = [
    [4, 1, 0, 1.3, true],
    [1, 1, 0, 1, true],
    [1, 0, 0, 1, true],
    [0, 0, 0, 0, false],
    [4, 1, 1.4, 1.3, true],
    [1, 1, 1.4, 1, true],
    [1, 0, 1.4, 1, true],
    [0, 0, 1.4, 0, true],
  ] as const;
  it.each(rateRows)(
    'mode MessageRate: messages %i, publish rate %d → active %s (rate or messages above activation)',
    (messages, unacked, publish, deliver, active) => {
      expect(rabbitmqHttpMetric(info(messages, unacked, publish, deliver), { mode: 'MessageRate', excludeUnacknowledged: false, activation: 0 })).toEqual({
        value: publish,
        active,
      });
    },
  );
  it('excludeUnacknowledged (getQueueStatus): messages_ready only', () => {
    expect(
      rabbitmqHttpMetric({ messages: 4, messages_ready: 3, messages_unacknowledged: 1 }, { mode: 'QueueLength', excludeUnacknowledged: true, activation: 0 }),
    ).toEqual({ value: 3, active: true });
  });
  it('a reply without counts is an error here, not 0 as Go decodes it', () => {
    expect(() => rabbitmqHttpMetric({ name: 'evaluate_trials' }, { mode: 'QueueLength', excludeUnacknowledged: false, activation: 0 })).toThrow(
      /reported no messages/,
    );
    expect(() => rabbitmqHttpMetric({ messages: 'NaN' }, { mode: 'QueueLength', excludeUnacknowledged: false, activation: 0 })).toThrow(/not an integer/);
  });
});

describe('KEDA aws_sqs_queue_scaler_test.go', () => {
  const all = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'];
  it.each([
    [
      'properly formed queue attributes',
      { ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '0' },
      1,
    ],
    ['missing ApproximateNumberOfMessages', {}, 'error'],
    [
      'invalid ApproximateNumberOfMessages',
      { ApproximateNumberOfMessages: 'NotInt', ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '0' },
      'error',
    ],
    [
      '32 bit int upper bound',
      { ApproximateNumberOfMessages: '2147483647', ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '0' },
      2147483647,
    ],
    [
      '32 bit int upper bound + 1',
      { ApproximateNumberOfMessages: '2147483648', ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessagesDelayed: '0' },
      2147483648,
    ],
  ] as const)('TestProcessQueueLengthFromSqsQueueAttributesOutput: %s', (_, attributes, expected) => {
    if (expected === 'error') expect(() => sqsQueueLength(attributes, all)).toThrow();
    else expect(sqsQueueLength(attributes, all)).toBe(expected);
  });

  // mockSqs: 200 visible, 100 not visible, 50 delayed; awsSQSGetMetricTestData's four combinations.
  const mock = { ApproximateNumberOfMessages: '200', ApproximateNumberOfMessagesNotVisible: '100', ApproximateNumberOfMessagesDelayed: '50' };
  it.each([
    [true, false, 300],
    [true, true, 350],
    [false, false, 200],
    [false, true, 250],
  ])('TestAWSSQSScalerGetMetrics: scaleOnInFlight %s, scaleOnDelayed %s → %i', (scaleOnInFlight, scaleOnDelayed, expected) => {
    expect(sqsQueueLength(mock, sqsAttributeNames({ scaleOnInFlight, scaleOnDelayed }))).toBe(expected);
  });
  it('TestAWSSQSScalerGetMetrics: bad data (NotInt) is an error', () => {
    expect(() =>
      sqsQueueLength(
        { ApproximateNumberOfMessages: 'NotInt', ApproximateNumberOfMessagesNotVisible: 'NotInt' },
        sqsAttributeNames({ scaleOnInFlight: true, scaleOnDelayed: false }),
      ),
    ).toThrow(/not an integer/);
  });
});
