import type { ScalingPolicy } from '@qfn/shared';
import { emptyHpaHistory, hpaDefaults, hpaSync, type HpaHistory, type HpaResult, type HpaSettings } from './hpa';

/**
 * What KEDA's scale executor and the HPA controller remember about one ScaledObject, in one value.
 * Times are milliseconds on whatever clock the caller passes as `now`.
 */
export interface ScalerState {
  replicas: number;
  /** KEDA `status.lastActiveTime`. */
  lastActiveAt: number | undefined;
  /** When KEDA last polled the scaler. */
  lastPollAt: number | undefined;
  /** When the HPA last synced (it runs on its own clock). */
  lastHpaSyncAt: number | undefined;
  hpa: HpaHistory;
}

/** A look at the queue: the length the KEDA scaler reads, or why it could not be read. */
export type DepthReading = { depth: number } | { error: string };

export interface ScaleDecision {
  function: string;
  at: number;
  from: number;
  to: number;
  /** Who set the count: KEDA's executor (to and from zero, up to min) or the HPA (between 1 and max); none when held. */
  by: 'keda' | 'hpa' | 'none';
  depth: number | undefined;
  /** depth > activationQueueLength; undefined on a tick where only the HPA looked. */
  active: boolean | undefined;
  /** One human line with the inputs that led to it, e.g. "store-message 0→1: depth 37 > activation 0". */
  reason: string;
  inputs: ScalingPolicy & { hpa?: Pick<HpaResult, 'ratio' | 'metricReplicas' | 'windowHighest' | 'scaleUpLimit' | 'limitedBy'> };
}

export interface ScaleStep {
  state: ScalerState;
  decision: ScaleDecision;
  /** When the next look is due (the earlier of KEDA's poll and, with replicas, the HPA's sync). */
  nextAt: number;
}

export interface ScaleInput {
  name: string;
  policy: ScalingPolicy;
  hpa?: HpaSettings;
  state: ScalerState;
  reading: DepthReading;
  now: number;
}

/** The state of a function started at its minReplicaCount, as the runner starts it. */
export function initialScalerState(policy: ScalingPolicy): ScalerState {
  return { replicas: policy.minReplicaCount, lastActiveAt: undefined, lastPollAt: undefined, lastHpaSyncAt: undefined, hpa: emptyHpaHistory };
}

const isDue = (last: number | undefined, periodSeconds: number, now: number) => last === undefined || now - last >= periodSeconds * 1000;
const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/**
 * One tick of the local autoscaler: KEDA's scale executor (activation, 0 ↔ N, cooldown) when its
 * pollingInterval is due, then the HPA (ceil(depth / target), tolerance, stabilisation, rate limits)
 * when its sync period is due and there are replicas. Pure: same input, same output.
 *
 * @example
 * const step = decideScale({ name: 'store-message', policy, state: initialScalerState(policy), reading: { depth: 37 }, now: 0 });
 * step.decision.reason; // "store-message 0→1: depth 37 > activation 0"
 */
export function decideScale(input: ScaleInput): ScaleStep {
  const { name, policy, now, reading } = input;
  const settings = input.hpa ?? hpaDefaults;
  const from = input.state.replicas;
  const depth = 'depth' in reading ? reading.depth : undefined;
  let state: ScalerState = { ...input.state };
  const finish = (to: number, by: ScaleDecision['by'], active: boolean | undefined, reason: string, hpa?: HpaResult): ScaleStep => {
    state.replicas = to;
    const inputs: ScaleDecision['inputs'] = { ...policy };
    if (hpa) {
      inputs.hpa = { ratio: hpa.ratio, metricReplicas: hpa.metricReplicas, windowHighest: hpa.windowHighest, scaleUpLimit: hpa.scaleUpLimit, limitedBy: hpa.limitedBy };
    }
    return { state, decision: { function: name, at: now, from, to, by, depth, active, reason, inputs }, nextAt: nextLookAt(state, policy, settings) };
  };

  const kedaDue = isDue(state.lastPollAt, policy.pollingInterval, now);
  const hpaDue = from > 0 && isDue(state.lastHpaSyncAt, settings.syncPeriodSeconds, now);
  if (!kedaDue && !hpaDue) return finish(from, 'none', undefined, `${name} ${from}: nothing due`);

  // Without a fallback, KEDA scales nothing when the scaler errs, and the HPA holds when its metric is missing.
  if (depth === undefined) {
    if (kedaDue) state.lastPollAt = now;
    if (hpaDue) state.lastHpaSyncAt = now;
    return finish(from, 'none', undefined, `${name} ${from}: holding, queue length unavailable (${'error' in reading ? reading.error : ''})`);
  }

  const min = policy.minReplicaCount;
  const activation = policy.activationQueueLength;
  let active: boolean | undefined;
  let coolingNote = '';
  if (kedaDue) {
    state.lastPollAt = now;
    active = depth > activation;
    if (active) state.lastActiveAt = now;
    if (from === 0 && active) {
      const to = Math.max(min, 1);
      deferHpaAfterKeda(state, policy, settings, now);
      return finish(to, 'keda', active, `${name} 0→${to}: depth ${depth} > activation ${activation}${min > 1 ? ` (minReplicaCount ${min})` : ''}`);
    }
    if (!active && from > 0 && min === 0) {
      const lastActiveAt = input.state.lastActiveAt;
      if (lastActiveAt === undefined || lastActiveAt + policy.cooldownPeriod * 1000 < now) {
        const idle = lastActiveAt === undefined ? 'never active' : `inactive for ${seconds(now - lastActiveAt)}`;
        return finish(0, 'keda', active, `${name} ${from}→0: depth ${depth} ≤ activation ${activation}, ${idle} > cooldownPeriod ${policy.cooldownPeriod} s`);
      }
      coolingNote = `; cooling down, 0 in ${seconds(lastActiveAt + policy.cooldownPeriod * 1000 - now)}`;
    } else if (!active && from < min) {
      deferHpaAfterKeda(state, policy, settings, now);
      return finish(min, 'keda', active, `${name} ${from}→${min}: below minReplicaCount ${min}`);
    }
  }

  if (from === 0) return finish(0, 'none', active, `${name} 0: depth ${depth} ≤ activation ${activation}`);
  if (!hpaDue) {
    return finish(from, 'none', active, `${name} ${from}: depth ${depth}${active ? ` > activation ${activation}` : ` ≤ activation ${activation}`}${coolingNote}`);
  }

  state.lastHpaSyncAt = now;
  const result = hpaSync({
    currentReplicas: from,
    metric: depth,
    target: policy.targetQueueLength,
    minReplicas: Math.max(min, 1),
    maxReplicas: policy.maxReplicaCount,
    scaleDownStabilizationWindowSeconds: policy.scaleDownStabilizationWindowSeconds,
    settings,
    history: state.hpa,
    now,
  });
  state.hpa = result.history;
  const to = result.replicas;
  return finish(to, to === from ? 'none' : 'hpa', active, describeHpa(name, from, depth, policy, settings, result) + coolingNote, result);
}

/** After KEDA moves the target, the HPA first looks one polling interval later (in a cluster: 0–15 s later). */
function deferHpaAfterKeda(state: ScalerState, policy: ScalingPolicy, settings: HpaSettings, now: number): void {
  const firstLookIn = Math.min(policy.pollingInterval, settings.syncPeriodSeconds) * 1000;
  state.lastHpaSyncAt = now + firstLookIn - settings.syncPeriodSeconds * 1000;
}

function nextLookAt(state: ScalerState, policy: ScalingPolicy, settings: HpaSettings): number {
  const nextPoll = (state.lastPollAt ?? 0) + policy.pollingInterval * 1000;
  if (state.replicas === 0) return nextPoll;
  return Math.min(nextPoll, (state.lastHpaSyncAt ?? 0) + settings.syncPeriodSeconds * 1000);
}

function describeRate(settings: HpaSettings): string {
  const rules = settings.scaleUp;
  const parts = rules.policies.map((p) => (p.type === 'Pods' ? `+${p.value}` : `×${1 + p.value / 100}`));
  const periods = [...new Set(rules.policies.map((p) => p.periodSeconds))];
  return `${rules.selectPolicy.toLowerCase()}(${parts.join(', ')}) per ${periods.join('/')} s`;
}

function describeHpa(name: string, from: number, depth: number, policy: ScalingPolicy, settings: HpaSettings, result: HpaResult): string {
  const target = policy.targetQueueLength;
  const to = result.replicas;
  const arrow = to === from ? `${from}` : `${from}→${to}`;
  const computed =
    result.limitedBy === 'tolerance'
      ? `depth ${depth} is within ${Math.round(settings.tolerance * 100)} % of ${from} × target ${target}`
      : `depth ${depth}, target ${target} per replica → ${result.metricReplicas}`;
  const window = policy.scaleDownStabilizationWindowSeconds;
  const limit: Record<HpaResult['limitedBy'], string> = {
    none: '',
    tolerance: '',
    stabilized: `, held at ${result.stabilizedReplicas} by the highest recommendation of the last ${window} s (${result.windowHighest})`,
    'scale-up-rate': `, limited to ${to} by the scale-up rate ${describeRate(settings)}`,
    'scale-down-rate': `, limited to ${to} by the scale-down rate`,
    max: `, capped at maxReplicaCount ${policy.maxReplicaCount}`,
    min: `, floored at ${Math.max(policy.minReplicaCount, 1)} (the HPA's minimum)`,
  };
  return `${name} ${arrow}: ${computed}${limit[result.limitedBy]}`;
}
