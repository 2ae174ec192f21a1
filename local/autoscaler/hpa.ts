/**
 * The HorizontalPodAutoscaler's arithmetic for one external metric with an `AverageValue` target (what a
 * KEDA ScaledObject creates), following kubernetes `pkg/controller/podautoscaler` with `behavior` set:
 * replica count from the metric with the tolerance, the stabilisation window, then the rate policies and
 * the [min, max] clamp. Pure: time comes in as `now` (ms), history as plain arrays.
 */

/** autoscaling/v2 `HPAScalingPolicy`. */
export interface HpaScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

/** autoscaling/v2 `HPAScalingRules`, without the stabilisation window (that one comes from the declaration for scale-down). */
export interface HpaScalingRules {
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: readonly HpaScalingPolicy[];
}

export interface HpaSettings {
  /** kube-controller-manager `--horizontal-pod-autoscaler-sync-period`. */
  syncPeriodSeconds: number;
  /** `--horizontal-pod-autoscaler-tolerance`: no change while the usage ratio is within 1 ± tolerance. */
  tolerance: number;
  /** `behavior.scaleUp.stabilizationWindowSeconds`. */
  scaleUpStabilizationWindowSeconds: number;
  scaleUp: HpaScalingRules;
  scaleDown: HpaScalingRules;
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

export interface HpaInput {
  currentReplicas: number;
  /** The metric: total queue length. */
  metric: number;
  /** Target value per replica. */
  target: number;
  minReplicas: number;
  maxReplicas: number;
  scaleDownStabilizationWindowSeconds: number;
  settings: HpaSettings;
  history: HpaHistory;
  now: number;
}

export type HpaLimit = 'none' | 'tolerance' | 'stabilized' | 'scale-up-rate' | 'scale-down-rate' | 'max' | 'min';

export interface HpaResult {
  replicas: number;
  /** ceil(metric / target), or the current count when within tolerance. */
  metricReplicas: number;
  /** Usage ratio metric / (target × current). */
  ratio: number;
  /** After the stabilisation window. */
  stabilizedReplicas: number;
  /** Highest recommendation in the scale-down window (what stabilisation held on to). */
  windowHighest: number;
  /** Largest count the scale-up policies allow right now. */
  scaleUpLimit: number;
  limitedBy: HpaLimit;
  history: HpaHistory;
}

/**
 * One HPA sync for a target that has at least one replica.
 *
 * @example
 * const result = hpaSync({ currentReplicas: 1, metric: 1200, target: 500, minReplicas: 1, maxReplicas: 10,
 *   scaleDownStabilizationWindowSeconds: 300, settings: hpaDefaults, history: emptyHpaHistory, now: Date.now() });
 * result.replicas; // 3
 */
export function hpaSync(input: HpaInput): HpaResult {
  const { currentReplicas: current, metric, target, minReplicas, maxReplicas, settings, now } = input;
  const ratio = metric / (target * current);
  const withinTolerance = Math.abs(1 - ratio) <= settings.tolerance;
  const metricReplicas = withinTolerance ? current : Math.ceil(metric / target);

  // The controller skips the metric entirely when the count is out of bounds.
  if (current > maxReplicas || current < minReplicas) {
    const bound = current > maxReplicas ? maxReplicas : minReplicas;
    return {
      replicas: bound,
      metricReplicas,
      ratio,
      stabilizedReplicas: bound,
      windowHighest: bound,
      scaleUpLimit: bound,
      limitedBy: current > maxReplicas ? 'max' : 'min',
      history: recordScaleEvent(input.history, settings, current, bound, now),
    };
  }

  const stabilized = stabilize(current, metricReplicas, input.history.recommendations, {
    upCutoff: now - settings.scaleUpStabilizationWindowSeconds * 1000,
    downCutoff: now - input.scaleDownStabilizationWindowSeconds * 1000,
  });
  const recommendations = [
    ...input.history.recommendations.filter((r) => r.at > stabilized.oldestKeptCutoff),
    { at: now, replicas: metricReplicas },
  ];

  let replicas = stabilized.replicas;
  let limitedBy: HpaLimit = stabilized.replicas !== metricReplicas ? 'stabilized' : withinTolerance ? 'tolerance' : 'none';
  const scaleUpLimit = Math.max(current, scaleUpLimitOf(current, input.history, settings.scaleUp, now));
  if (replicas > current) {
    const allowed = Math.min(maxReplicas, scaleUpLimit);
    if (replicas > allowed) {
      replicas = allowed;
      limitedBy = maxReplicas > scaleUpLimit ? 'scale-up-rate' : 'max';
    }
  } else if (replicas < current) {
    const scaleDownLimit = Math.min(current, scaleDownLimitOf(current, input.history, settings.scaleDown, now));
    const allowed = Math.max(minReplicas, scaleDownLimit);
    if (replicas < allowed) {
      replicas = allowed;
      limitedBy = minReplicas < scaleDownLimit ? 'scale-down-rate' : 'min';
    }
  }

  return {
    replicas,
    metricReplicas,
    ratio,
    stabilizedReplicas: stabilized.replicas,
    windowHighest: stabilized.windowHighest,
    scaleUpLimit,
    limitedBy,
    history: recordScaleEvent({ ...input.history, recommendations }, settings, current, replicas, now),
  };
}

/** Bounds the recommendation by the lowest one of the scale-up window and the highest one of the scale-down window. */
function stabilize(
  current: number,
  desired: number,
  recommendations: readonly TimedRecommendation[],
  cutoffs: { upCutoff: number; downCutoff: number },
): { replicas: number; windowHighest: number; oldestKeptCutoff: number } {
  let up = desired;
  let down = desired;
  for (const rec of recommendations) {
    if (rec.at > cutoffs.upCutoff) up = Math.min(up, rec.replicas);
    if (rec.at > cutoffs.downCutoff) down = Math.max(down, rec.replicas);
  }
  let replicas = current;
  if (replicas < up) replicas = up;
  if (replicas > down) replicas = down;
  return { replicas, windowHighest: down, oldestKeptCutoff: Math.min(cutoffs.upCutoff, cutoffs.downCutoff) };
}

function changeInPeriod(events: readonly ScaleEvent[], periodSeconds: number, now: number): number {
  const cutoff = now - periodSeconds * 1000;
  return events.reduce((sum, event) => (event.at > cutoff ? sum + event.change : sum), 0);
}

function periodStartReplicas(current: number, history: HpaHistory, periodSeconds: number, now: number): number {
  return current - changeInPeriod(history.scaleUpEvents, periodSeconds, now) + changeInPeriod(history.scaleDownEvents, periodSeconds, now);
}

/** The most replicas the scale-up policies allow now, counted from the replicas at the start of each policy's period. */
function scaleUpLimitOf(current: number, history: HpaHistory, rules: HpaScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const proposals = rules.policies.map((policy) => {
    const start = periodStartReplicas(current, history, policy.periodSeconds, now);
    return policy.type === 'Pods' ? start + policy.value : Math.ceil(start * (1 + policy.value / 100));
  });
  return rules.selectPolicy === 'Min' ? Math.min(...proposals) : Math.max(...proposals);
}

/** The fewest replicas the scale-down policies allow now. */
function scaleDownLimitOf(current: number, history: HpaHistory, rules: HpaScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const proposals = rules.policies.map((policy) => {
    const start = periodStartReplicas(current, history, policy.periodSeconds, now);
    return policy.type === 'Pods' ? start - policy.value : Math.trunc(start * (1 - policy.value / 100));
  });
  return rules.selectPolicy === 'Min' ? Math.max(...proposals) : Math.min(...proposals);
}

function longestPeriodMs(rules: HpaScalingRules): number {
  return Math.max(0, ...rules.policies.map((p) => p.periodSeconds)) * 1000;
}

/** Remembers an HPA rescale for the rate policies; events older than the longest policy period are dropped. */
function recordScaleEvent(history: HpaHistory, settings: HpaSettings, from: number, to: number, now: number): HpaHistory {
  const upCutoff = now - longestPeriodMs(settings.scaleUp);
  const downCutoff = now - longestPeriodMs(settings.scaleDown);
  const scaleUpEvents = history.scaleUpEvents.filter((e) => e.at >= upCutoff);
  const scaleDownEvents = history.scaleDownEvents.filter((e) => e.at >= downCutoff);
  if (to > from) scaleUpEvents.push({ at: now, change: to - from });
  if (to < from) scaleDownEvents.push({ at: now, change: from - to });
  return { recommendations: history.recommendations, scaleUpEvents, scaleDownEvents };
}
