/**
 * The HorizontalPodAutoscaler's arithmetic for external metrics with an `AverageValue` target (what a
 * KEDA ScaledObject creates), following kubernetes `pkg/controller/podautoscaler` (horizontal.go,
 * replica_calculator.go) with `behavior` set: one replica proposal per metric with the tolerance, the
 * highest proposal, the stabilisation windows, then the rate policies and the [min, max] clamp.
 * Pure: time comes in as `now` (ms), history as plain arrays.
 */
import type { HpaBehavior, HpaScalingPolicy } from '@qfn/shared/platform';

export type { HpaScalingPolicy };

/** autoscaling/v2 `HPAScalingRules` with Kubernetes' defaults filled in (GenerateHPAScaleUpRules / …DownRules). */
export interface HpaScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: readonly HpaScalingPolicy[];
}

export interface HpaSettings {
  /** kube-controller-manager `--horizontal-pod-autoscaler-sync-period`. */
  syncPeriodSeconds: number;
  /** `--horizontal-pod-autoscaler-tolerance`: no change while the usage ratio is within 1 ± tolerance. */
  tolerance: number;
  /** Default `behavior.scaleUp.stabilizationWindowSeconds`. */
  scaleUpStabilizationWindowSeconds: number;
  /** Default scale-up rules (the window is `scaleUpStabilizationWindowSeconds`). */
  scaleUp: Omit<HpaScalingRules, 'stabilizationWindowSeconds'>;
  /** Default scale-down rules (the window comes from the declaration). */
  scaleDown: Omit<HpaScalingRules, 'stabilizationWindowSeconds'>;
}

/** Kubernetes' defaults: sync every 15 s, 10 % tolerance, scale up by max(+4 pods, +100 %) per 15 s, down by 100 % per 15 s. */
export const hpaDefaults: HpaSettings = {
  syncPeriodSeconds: 15,
  tolerance: 0.1,
  scaleUpStabilizationWindowSeconds: 0,
  scaleUp: {
    selectPolicy: 'Max',
    policies: [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ],
  },
  scaleDown: { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
};

/** Both directions' rules, as the API server stores them once `behavior` is set. */
export interface ResolvedBehavior {
  scaleUp: HpaScalingRules;
  scaleDown: HpaScalingRules;
}

/**
 * The declared `behavior` over Kubernetes' defaults (copyHPAScalingRules), with KEDA's pause annotations
 * applied as KEDA applies them to the HPA: paused-scale-in / -out set that direction's selectPolicy to Disabled.
 */
export function resolveBehavior(
  declared: HpaBehavior,
  scaleDownStabilizationWindowSeconds: number,
  settings: HpaSettings = hpaDefaults,
  pause: { scaleIn?: boolean; scaleOut?: boolean } = {},
): ResolvedBehavior {
  const scaleUp: HpaScalingRules = {
    stabilizationWindowSeconds: declared.scaleUp?.stabilizationWindowSeconds ?? settings.scaleUpStabilizationWindowSeconds,
    selectPolicy: declared.scaleUp?.selectPolicy ?? settings.scaleUp.selectPolicy,
    policies: declared.scaleUp?.policies ?? settings.scaleUp.policies,
  };
  const scaleDown: HpaScalingRules = {
    stabilizationWindowSeconds: scaleDownStabilizationWindowSeconds,
    selectPolicy: declared.scaleDown?.selectPolicy ?? settings.scaleDown.selectPolicy,
    policies: declared.scaleDown?.policies ?? settings.scaleDown.policies,
  };
  if (pause.scaleOut) scaleUp.selectPolicy = 'Disabled';
  if (pause.scaleIn) scaleDown.selectPolicy = 'Disabled';
  return { scaleUp, scaleDown };
}

export interface TimedRecommendation {
  at: number;
  replicas: number;
}

export interface ScaleEvent {
  at: number;
  /** Replicas added (scale-up events) or removed (scale-down events), always positive. */
  change: number;
}

/** What the HPA controller keeps in memory per HPA between syncs. */
export interface HpaHistory {
  recommendations: readonly TimedRecommendation[];
  scaleUpEvents: readonly ScaleEvent[];
  scaleDownEvents: readonly ScaleEvent[];
}

export const emptyHpaHistory: HpaHistory = { recommendations: [], scaleUpEvents: [], scaleDownEvents: [] };

/**
 * replica_calculator.go `GetExternalPerPodMetricReplicas`: ceil(usage / target) unless the usage ratio
 * usage / (target × current) is within the tolerance, then the current count.
 */
export function externalPerPodReplicas(currentReplicas: number, usage: number, targetPerPod: number, tolerance: number): { replicas: number; ratio: number } {
  const ratio = usage / (targetPerPod * currentReplicas);
  if (Math.abs(1 - ratio) <= tolerance) return { replicas: currentReplicas, ratio };
  return { replicas: Math.ceil(usage / targetPerPod), ratio };
}

/** horizontal.go `stabilizeRecommendationWithBehaviors`: bounded by the lowest recommendation of the scale-up window and the highest of the scale-down window. */
export function stabilizeRecommendation(input: {
  currentReplicas: number;
  desiredReplicas: number;
  recommendations: readonly TimedRecommendation[];
  scaleUpWindowSeconds: number;
  scaleDownWindowSeconds: number;
  now: number;
}): { replicas: number; windowHighest: number; recommendations: TimedRecommendation[] } {
  const upCutoff = input.now - input.scaleUpWindowSeconds * 1000;
  const downCutoff = input.now - input.scaleDownWindowSeconds * 1000;
  let up = input.desiredReplicas;
  let down = input.desiredReplicas;
  for (const rec of input.recommendations) {
    if (rec.at > upCutoff) up = Math.min(up, rec.replicas);
    if (rec.at > downCutoff) down = Math.max(down, rec.replicas);
  }
  let replicas = input.currentReplicas;
  if (replicas < up) replicas = up;
  if (replicas > down) replicas = down;
  // Kubernetes reuses one sample older than both windows; dropping every such sample keeps the same windows.
  const kept = input.recommendations.filter((r) => r.at >= upCutoff || r.at >= downCutoff);
  return { replicas, windowHighest: down, recommendations: [...kept, { at: input.now, replicas: input.desiredReplicas }] };
}

export type RateReason = 'DesiredWithinRange' | 'ScaleUpLimit' | 'TooManyReplicas' | 'ScaleDownLimit' | 'TooFewReplicas';

/** horizontal.go `convertDesiredReplicasWithBehaviorRate`: the rate policies, counted from the replicas at the start of each policy's period, and [min, max]. */
export function convertDesiredReplicasWithBehaviorRate(input: {
  currentReplicas: number;
  desiredReplicas: number;
  minReplicas: number;
  maxReplicas: number;
  behavior: ResolvedBehavior;
  scaleUpEvents: readonly ScaleEvent[];
  scaleDownEvents: readonly ScaleEvent[];
  now: number;
}): { replicas: number; reason: RateReason; scaleUpLimit: number } {
  const { currentReplicas: current, desiredReplicas: desired, now } = input;
  const scaleUpLimit = Math.max(current, scaleLimitOf('up', current, input.scaleUpEvents, input.scaleDownEvents, input.behavior.scaleUp, now));
  if (desired > current) {
    const rateBound = input.maxReplicas > scaleUpLimit;
    const allowed = rateBound ? scaleUpLimit : input.maxReplicas;
    if (desired > allowed) return { replicas: allowed, reason: rateBound ? 'ScaleUpLimit' : 'TooManyReplicas', scaleUpLimit };
  } else if (desired < current) {
    const scaleDownLimit = Math.min(current, scaleLimitOf('down', current, input.scaleUpEvents, input.scaleDownEvents, input.behavior.scaleDown, now));
    const rateBound = input.minReplicas < scaleDownLimit;
    const allowed = rateBound ? scaleDownLimit : input.minReplicas;
    if (desired < allowed) return { replicas: allowed, reason: rateBound ? 'ScaleDownLimit' : 'TooFewReplicas', scaleUpLimit };
  }
  return { replicas: desired, reason: 'DesiredWithinRange', scaleUpLimit };
}

/** One metric the HPA reads: its value (total over the queue) and AverageValue target, or why it could not be read. */
export type HpaMetric = { name: string; value: number; target: number } | { name: string; error: string };

export interface HpaInput {
  currentReplicas: number;
  metrics: readonly HpaMetric[];
  minReplicas: number;
  maxReplicas: number;
  behavior: ResolvedBehavior;
  tolerance: number;
  history: HpaHistory;
  now: number;
}

export type HpaLimit = 'none' | 'tolerance' | 'stabilized' | 'scale-up-rate' | 'scale-down-rate' | 'max' | 'min' | 'invalid-metrics';

export interface HpaResult {
  replicas: number;
  /** The highest proposal over the metrics (ceil(metric / target), or the current count within tolerance). */
  metricReplicas: number;
  /** The metric behind that proposal. */
  metric: string | undefined;
  /** Its usage ratio metric / (target × current). */
  ratio: number;
  /** After the stabilisation windows. */
  stabilizedReplicas: number;
  /** Highest recommendation in the scale-down window (what stabilisation held on to). */
  windowHighest: number;
  /** Largest count the scale-up policies allow right now. */
  scaleUpLimit: number;
  limitedBy: HpaLimit;
  /** Metrics that could not be read, each with its error. */
  invalid: string[];
  history: HpaHistory;
}

/**
 * One HPA sync for a target that has at least one replica (reconcileAutoscaler → computeReplicasForMetrics
 * → normalizeDesiredReplicasWithBehaviors). With every metric invalid, or some invalid and the rest asking
 * for fewer replicas, it holds without recording anything, as the controller returns early.
 *
 * @example
 * const result = hpaSync({ currentReplicas: 1, metrics: [{ name: 'queue', value: 1200, target: 500 }], minReplicas: 1, maxReplicas: 10,
 *   behavior: resolveBehavior({}, 300), tolerance: 0.1, history: emptyHpaHistory, now: Date.now() });
 * result.replicas; // 3
 */
export function hpaSync(input: HpaInput): HpaResult {
  const { currentReplicas: current, minReplicas, maxReplicas, now } = input;
  const hold = (limitedBy: HpaLimit, replicas: number, extra: Partial<HpaResult> = {}): HpaResult => ({
    replicas,
    metricReplicas: replicas,
    metric: undefined,
    ratio: 1,
    stabilizedReplicas: replicas,
    windowHighest: replicas,
    scaleUpLimit: replicas,
    limitedBy,
    invalid: [],
    history: input.history,
    ...extra,
  });

  // The controller skips the metrics entirely when the count is out of bounds.
  if (current > maxReplicas || current < minReplicas) {
    const bound = current > maxReplicas ? maxReplicas : minReplicas;
    return hold(current > maxReplicas ? 'max' : 'min', bound, { history: recordScaleEvent(input.history, input.behavior, current, bound, now) });
  }

  let metricReplicas = 0;
  let ratio = 1;
  let metric: string | undefined;
  const invalid: string[] = [];
  for (const m of input.metrics) {
    if ('error' in m) {
      invalid.push(`${m.name}: ${m.error}`);
      continue;
    }
    const proposal = externalPerPodReplicas(current, m.value, m.target, input.tolerance);
    if (metric === undefined || proposal.replicas > metricReplicas) {
      metricReplicas = proposal.replicas;
      ratio = proposal.ratio;
      metric = m.name;
    }
  }
  if (invalid.length >= input.metrics.length || (invalid.length > 0 && metricReplicas < current)) {
    return hold('invalid-metrics', current, { invalid });
  }

  const stabilized = stabilizeRecommendation({
    currentReplicas: current,
    desiredReplicas: metricReplicas,
    recommendations: input.history.recommendations,
    scaleUpWindowSeconds: input.behavior.scaleUp.stabilizationWindowSeconds,
    scaleDownWindowSeconds: input.behavior.scaleDown.stabilizationWindowSeconds,
    now,
  });
  const rated = convertDesiredReplicasWithBehaviorRate({
    currentReplicas: current,
    desiredReplicas: stabilized.replicas,
    minReplicas,
    maxReplicas,
    behavior: input.behavior,
    scaleUpEvents: input.history.scaleUpEvents,
    scaleDownEvents: input.history.scaleDownEvents,
    now,
  });
  const withinTolerance = metricReplicas === current && Math.abs(1 - ratio) <= input.tolerance;
  const reasons: Record<RateReason, HpaLimit> = {
    DesiredWithinRange: stabilized.replicas !== metricReplicas ? 'stabilized' : withinTolerance ? 'tolerance' : 'none',
    ScaleUpLimit: 'scale-up-rate',
    TooManyReplicas: 'max',
    ScaleDownLimit: 'scale-down-rate',
    TooFewReplicas: 'min',
  };
  return {
    replicas: rated.replicas,
    metricReplicas,
    metric,
    ratio,
    stabilizedReplicas: stabilized.replicas,
    windowHighest: stabilized.windowHighest,
    scaleUpLimit: rated.scaleUpLimit,
    limitedBy: reasons[rated.reason],
    invalid,
    history: recordScaleEvent({ ...input.history, recommendations: stabilized.recommendations }, input.behavior, current, rated.replicas, now),
  };
}

/** horizontal.go `getReplicasChangePerPeriod`: changes strictly after now − period. */
export function replicasChangePerPeriod(periodSeconds: number, events: readonly ScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  return events.reduce((sum, event) => (event.at > cutoff ? sum + event.change : sum), 0);
}

function periodStartReplicas(current: number, upEvents: readonly ScaleEvent[], downEvents: readonly ScaleEvent[], periodSeconds: number, now: number): number {
  return current - replicasChangePerPeriod(periodSeconds, upEvents, now) + replicasChangePerPeriod(periodSeconds, downEvents, now);
}

/**
 * horizontal.go `calculateScaleUpLimitWithScalingRules` (up) and `calculateScaleDownLimitWithBehaviors` (down): each
 * policy proposes a limit from the replicas at the start of its period; 'Max' picks the one allowing the largest change,
 * 'Min' the smallest, so the higher proposal wins scaling up with 'Max' and scaling down with 'Min'.
 */
export function scaleLimitOf(
  direction: 'up' | 'down',
  current: number,
  upEvents: readonly ScaleEvent[],
  downEvents: readonly ScaleEvent[],
  rules: HpaScalingRules,
  now: number,
): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const proposals = rules.policies.map((policy) => {
    const start = periodStartReplicas(current, upEvents, downEvents, policy.periodSeconds, now);
    if (direction === 'up') return policy.type === 'Pods' ? start + policy.value : Math.ceil(start * (1 + policy.value / 100));
    return policy.type === 'Pods' ? start - policy.value : Math.trunc(start * (1 - policy.value / 100));
  });
  const higherWins = (direction === 'up') === (rules.selectPolicy === 'Max');
  return higherWins ? Math.max(...proposals) : Math.min(...proposals);
}

function longestPeriodMs(rules: HpaScalingRules): number {
  return Math.max(0, ...rules.policies.map((p) => p.periodSeconds)) * 1000;
}

/** Remembers an HPA rescale for the rate policies; events older than the longest policy period are dropped. */
function recordScaleEvent(history: HpaHistory, behavior: ResolvedBehavior, from: number, to: number, now: number): HpaHistory {
  const upCutoff = now - longestPeriodMs(behavior.scaleUp);
  const downCutoff = now - longestPeriodMs(behavior.scaleDown);
  const scaleUpEvents = history.scaleUpEvents.filter((e) => e.at >= upCutoff);
  const scaleDownEvents = history.scaleDownEvents.filter((e) => e.at >= downCutoff);
  if (to > from) scaleUpEvents.push({ at: now, change: to - from });
  if (to < from) scaleDownEvents.push({ at: now, change: from - to });
  return { recommendations: history.recommendations, scaleUpEvents, scaleDownEvents };
}
