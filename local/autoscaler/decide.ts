import type { ScalingPolicy } from '@qfn/shared/platform';
import { applyFallback, type FallbackReading } from './fallback';
import { emptyHpaHistory, hpaDefaults, hpaSync, resolveBehavior, type HpaHistory, type HpaResult, type HpaSettings, type ResolvedBehavior } from './hpa';
import type { TriggerReading } from './scalers';

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
  /** The ScaledObject's creationTimestamp (the first look), for initialCooldownPeriod. */
  createdAt: number | undefined;
  /** KEDA `status.health[trigger].numberOfFailures`: failed looks in a row. */
  failures: Readonly<Record<string, number>>;
  hpa: HpaHistory;
}

/** A look at the queue through its one trigger: the length the KEDA scaler reads, or why it could not be read. */
export type DepthReading = { depth: number } | { error: string };

export interface ScaleDecision {
  function: string;
  at: number;
  from: number;
  to: number;
  /** Who set the count: KEDA's executor (to and from zero, up to min, paused) or the HPA (between 1 and max); none when held. */
  by: 'keda' | 'hpa' | 'none';
  /** The sizing trigger's value (queue length; publish rate in MessageRate mode); undefined when it could not be read. */
  depth: number | undefined;
  /** Any trigger active; undefined on a tick where only the HPA looked. */
  active: boolean | undefined;
  /** Triggers whose value is the fallback's. */
  fallback: string[];
  /** Triggers that could not be read, with why. */
  errors: string[];
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
  /** Every trigger's look (`readings`), or the one queue trigger's (`reading`, with the policy's target and activation). */
  reading?: DepthReading;
  readings?: readonly TriggerReading[];
  now: number;
}

/** The name of the trigger that sizes (and activates) in every ScaledObject the manifests generate. */
export const sizingTrigger = 'queue';

/** The state of a function started at its minReplicaCount, as the runner starts it. */
export function initialScalerState(policy: ScalingPolicy): ScalerState {
  return {
    replicas: policy.minReplicaCount,
    lastActiveAt: undefined,
    lastPollAt: undefined,
    lastHpaSyncAt: undefined,
    createdAt: undefined,
    failures: {},
    hpa: emptyHpaHistory,
  };
}

const isDue = (last: number | undefined, periodSeconds: number, now: number) => last === undefined || now - last >= periodSeconds * 1000;
const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

function readingsOf(input: ScaleInput): readonly TriggerReading[] {
  if (input.readings) return input.readings;
  const reading = input.reading ?? { error: 'no reading' };
  const base = { trigger: sizingTrigger, target: input.policy.targetQueueLength, activation: input.policy.activationQueueLength };
  return ['depth' in reading ? { ...base, value: reading.depth, active: reading.depth > base.activation } : { ...base, error: reading.error }];
}

/** "depth 37" for the sizing trigger, "activation trigger's depth 3" for another. */
const label = (reading: TriggerReading) => (reading.trigger === sizingTrigger ? 'depth' : `${reading.trigger} trigger's depth`);

/** The publish function's push scaler's trigger: it has no depth, only activity. */
export const pushTriggerName = 'push';
const activeText = (reading: Extract<FallbackReading, { value: number }>) =>
  reading.trigger === pushTriggerName
    ? 'push scaler active (the publish function sent to the queue)'
    : `${label(reading)} ${reading.value} > activation ${reading.activation}`;

function describeActivity(readings: readonly FallbackReading[], active: boolean): string {
  const read = readings.filter((r): r is Extract<FallbackReading, { value: number }> => !('error' in r));
  if (active) {
    const first = read.find((r) => r.active)!;
    return first.fallback ? `${first.trigger} unreadable, fallback ${first.value / first.target} replicas` : activeText(first);
  }
  return read.map((r) => `${label(r)} ${r.value} ≤ activation ${r.activation}`).join(', ');
}

/**
 * One tick of the local autoscaler: KEDA's fallback (failure counts, fallback metrics), KEDA's scale
 * executor (pause annotations, activation, 0 ↔ N or idle, cooldowns) when its pollingInterval is due,
 * then the HPA (one proposal per trigger, tolerance, stabilisation, rate policies) when its sync period
 * is due and there are replicas. Pure: same input, same output.
 *
 * @example
 * const step = decideScale({ name: 'store-message', policy, state: initialScalerState(policy), reading: { depth: 37 }, now: 0 });
 * step.decision.reason; // "store-message 0→1: depth 37 > activation 0"
 */
export function decideScale(input: ScaleInput): ScaleStep {
  const { name, policy, now } = input;
  const settings = input.hpa ?? hpaDefaults;
  const from = input.state.replicas;
  const paused = policy.paused || policy.pausedReplicas !== undefined;
  const state: ScalerState = { ...input.state };
  const behavior = resolveBehavior(policy.behavior, policy.scaleDownStabilizationWindowSeconds, settings, {
    scaleIn: policy.pausedScaleIn,
    scaleOut: policy.pausedScaleOut,
  });

  let readings: FallbackReading[] = [];
  const finish = (to: number, by: ScaleDecision['by'], active: boolean | undefined, reason: string, hpa?: HpaResult): ScaleStep => {
    state.replicas = to;
    const inputs: ScaleDecision['inputs'] = { ...policy };
    if (hpa) {
      inputs.hpa = {
        ratio: hpa.ratio,
        metricReplicas: hpa.metricReplicas,
        windowHighest: hpa.windowHighest,
        scaleUpLimit: hpa.scaleUpLimit,
        limitedBy: hpa.limitedBy,
      };
    }
    const sizing = readings.find((r) => r.trigger === sizingTrigger) ?? readings[0];
    const decision: ScaleDecision = {
      function: name,
      at: now,
      from,
      to,
      by,
      depth: sizing && !('error' in sizing) && !sizing.fallback ? sizing.value : undefined,
      active,
      fallback: readings.filter((r) => r.fallback).map((r) => r.trigger),
      errors: readings.flatMap((r) => ('error' in r ? [`${r.trigger}: ${r.error}`] : [])),
      reason,
      inputs,
    };
    return { state, decision, nextAt: nextLookAt(state, policy, settings, paused) };
  };

  const kedaDue = isDue(state.lastPollAt, policy.pollingInterval, now);
  const hpaDue = !paused && from > 0 && isDue(state.lastHpaSyncAt, settings.syncPeriodSeconds, now);
  if (!kedaDue && !hpaDue) return finish(from, 'none', undefined, `${name} ${from}: nothing due`);
  state.createdAt ??= now;

  // KEDA removes the HPA and stops scaling while paused; paused-replicas first sets that count.
  if (paused) {
    state.lastPollAt = now;
    if (policy.pausedReplicas !== undefined && from !== policy.pausedReplicas) {
      return finish(
        policy.pausedReplicas,
        'keda',
        undefined,
        `${name} ${from}→${policy.pausedReplicas}: paused at autoscaling.keda.sh/paused-replicas ${policy.pausedReplicas}`,
      );
    }
    return finish(
      from,
      'none',
      undefined,
      `${name} ${from}: paused (${policy.pausedReplicas !== undefined ? 'autoscaling.keda.sh/paused-replicas' : 'autoscaling.keda.sh/paused'})`,
    );
  }

  const looked = applyFallback(readingsOf(input), state.failures, policy.fallback, from);
  readings = looked.readings;
  state.failures = looked.failures;
  const isError = readings.some((r) => 'error' in r);
  const errors = readings.flatMap((r) => ('error' in r ? [r.error] : [])).join('; ');

  const min = policy.minReplicaCount;
  const idle = policy.idleReplicaCount;
  let active: boolean | undefined;
  let note = '';
  if (kedaDue) {
    state.lastPollAt = now;
    active = readings.some((r) => !('error' in r) && r.active);
    const activity = describeActivity(readings, active);
    if (active) {
      if ((idle !== undefined && from < min) || from === 0) {
        if (policy.pausedScaleOut)
          return finish(from, 'none', active, `${name} ${from}: ${activity}, but scale-out is paused (autoscaling.keda.sh/paused-scale-out)`);
        const to = min > 0 ? min : 1;
        state.lastActiveAt = now;
        deferHpaAfterKeda(state, policy, settings, now);
        return finish(to, 'keda', active, `${name} ${from}→${to}: ${activity}${min > 1 ? ` (minReplicaCount ${min})` : ''}`);
      }
      // Some trigger active but another failing: KEDA changes nothing, not even lastActiveTime.
      if (!isError) state.lastActiveAt = now;
    } else if (isError && policy.fallback && policy.fallback.replicas !== 0) {
      note = `; fallback after ${policy.fallback.failureThreshold} failures (${Math.max(...Object.values(state.failures))} so far)`;
    } else if (isError && !policy.fallback) {
      note = '';
    } else if ((idle !== undefined && from > idle) || (from > 0 && min === 0)) {
      const lastActiveAt = input.state.lastActiveAt;
      const since = lastActiveAt ?? state.createdAt;
      const wait = (lastActiveAt === undefined ? policy.initialCooldownPeriod : policy.cooldownPeriod) * 1000;
      const to = idle ?? min;
      if (policy.pausedScaleIn) {
        note = '; scale-in paused (autoscaling.keda.sh/paused-scale-in)';
      } else if (since + wait < now) {
        const why =
          lastActiveAt === undefined
            ? `never active, ${seconds(now - since)} since creation > initialCooldownPeriod ${policy.initialCooldownPeriod} s`
            : `inactive for ${seconds(now - lastActiveAt)} > cooldownPeriod ${policy.cooldownPeriod} s`;
        return finish(to, 'keda', active, `${name} ${from}→${to}: ${activity}, ${why}${idle !== undefined ? ' (idleReplicaCount)' : ''}`);
      } else {
        note = `; cooling down, ${to} in ${seconds(since + wait - now)}`;
      }
    } else if (idle === undefined && from < min) {
      deferHpaAfterKeda(state, policy, settings, now);
      return finish(min, 'keda', active, `${name} ${from}→${min}: below minReplicaCount ${min}`);
    }
  }

  const depthText = describeActivity(readings, Boolean(active));
  if (from === 0) {
    return finish(0, 'none', active, isError && !active ? `${name} 0: holding, queue length unavailable (${errors})${note}` : `${name} 0: ${depthText}${note}`);
  }
  if (!hpaDue) {
    return finish(
      from,
      'none',
      active,
      isError ? `${name} ${from}: holding, queue length unavailable (${errors})${note}` : `${name} ${from}: ${depthText}${note}`,
    );
  }

  state.lastHpaSyncAt = now;
  const result = hpaSync({
    currentReplicas: from,
    metrics: readings.map((r) => ('error' in r ? { name: r.trigger, error: r.error } : { name: r.trigger, value: r.value, target: r.target })),
    minReplicas: Math.max(min, 1),
    maxReplicas: policy.maxReplicaCount,
    behavior,
    tolerance: settings.tolerance,
    history: state.hpa,
    now,
  });
  state.hpa = result.history;
  const to = result.replicas;
  if (result.limitedBy === 'invalid-metrics')
    return finish(from, 'none', active, `${name} ${from}: holding, queue length unavailable (${errors})${note}`, result);
  return finish(to, to === from ? 'none' : 'hpa', active, describeHpa(name, from, readings, policy, behavior, settings, result) + note, result);
}

/** After KEDA moves the target, the HPA first looks one polling interval later (in a cluster: 0–15 s later). */
function deferHpaAfterKeda(state: ScalerState, policy: ScalingPolicy, settings: HpaSettings, now: number): void {
  const firstLookIn = Math.min(policy.pollingInterval, settings.syncPeriodSeconds) * 1000;
  state.lastHpaSyncAt = now + firstLookIn - settings.syncPeriodSeconds * 1000;
}

function nextLookAt(state: ScalerState, policy: ScalingPolicy, settings: HpaSettings, paused: boolean): number {
  const nextPoll = (state.lastPollAt ?? 0) + policy.pollingInterval * 1000;
  if (state.replicas === 0 || paused) return nextPoll;
  return Math.min(nextPoll, (state.lastHpaSyncAt ?? 0) + settings.syncPeriodSeconds * 1000);
}

function describeRate(behavior: ResolvedBehavior): string {
  const rules = behavior.scaleUp;
  const parts = rules.policies.map((p) => (p.type === 'Pods' ? `+${p.value}` : `×${1 + p.value / 100}`));
  const periods = [...new Set(rules.policies.map((p) => p.periodSeconds))];
  return `${rules.selectPolicy.toLowerCase()}(${parts.join(', ')}) per ${periods.join('/')} s`;
}

function describeHpa(
  name: string,
  from: number,
  readings: readonly FallbackReading[],
  policy: ScalingPolicy,
  behavior: ResolvedBehavior,
  settings: HpaSettings,
  result: HpaResult,
): string {
  const to = result.replicas;
  const arrow = to === from ? `${from}` : `${from}→${to}`;
  const reading = readings.find((r) => r.trigger === result.metric);
  const value = reading && !('error' in reading) ? reading : undefined;
  const what = value?.fallback ? `${value.trigger} unreadable, fallback` : value ? label(value) : 'depth';
  const computed =
    result.limitedBy === 'tolerance'
      ? `${what} ${value?.value} is within ${Math.round(settings.tolerance * 100)} % of ${from} × target ${value?.target}`
      : `${what} ${value?.value}, target ${value?.target} per replica → ${result.metricReplicas}`;
  const window = behavior.scaleDown.stabilizationWindowSeconds;
  const limit: Record<HpaResult['limitedBy'], string> = {
    none: '',
    tolerance: '',
    'invalid-metrics': '',
    stabilized:
      result.stabilizedReplicas < result.metricReplicas
        ? `, held at ${result.stabilizedReplicas} by the lowest recommendation of the last ${behavior.scaleUp.stabilizationWindowSeconds} s`
        : `, held at ${result.stabilizedReplicas} by the highest recommendation of the last ${window} s (${result.windowHighest})`,
    'scale-up-rate': behavior.scaleUp.selectPolicy === 'Disabled' ? ', scale-up disabled' : `, limited to ${to} by the scale-up rate ${describeRate(behavior)}`,
    'scale-down-rate': behavior.scaleDown.selectPolicy === 'Disabled' ? ', scale-down disabled' : `, limited to ${to} by the scale-down rate`,
    max: `, capped at maxReplicaCount ${policy.maxReplicaCount}`,
    min: `, floored at ${Math.max(policy.minReplicaCount, 1)} (the HPA's minimum)`,
  };
  return `${name} ${arrow}: ${computed}${limit[result.limitedBy]}`;
}
