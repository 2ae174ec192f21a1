import type { FallbackPolicy } from '@qfn/shared/platform';
import type { TriggerReading } from './scalers';

/** A reading after KEDA's fallback: `fallback` when the value is the fallback's and not the scaler's. */
export type FallbackReading = TriggerReading & { fallback?: boolean };

/**
 * KEDA `pkg/fallback` (GetMetricsWithFallback, doFallback) for one look at every trigger: a good reading
 * resets the trigger's failure count; a failed one counts, and once the count is greater than
 * `failureThreshold` the trigger reports target × replicas (so the HPA computes `replicas`) and counts as
 * active (scale_handler: "When fallback is active, the scaler should be considered active"). Without a
 * fallback the error stands. Pure.
 *
 * @example
 * const { readings, failures } = applyFallback(looked, state.failures, policy.fallback, state.replicas);
 */
export function applyFallback(
  readings: readonly TriggerReading[],
  failures: Readonly<Record<string, number>>,
  fallback: FallbackPolicy | undefined,
  currentReplicas: number,
): { readings: FallbackReading[]; failures: Record<string, number>; active: boolean } {
  const counted: Record<string, number> = { ...failures };
  let active = false;
  const out = readings.map((reading): FallbackReading => {
    if (!('error' in reading)) {
      counted[reading.trigger] = 0;
      return reading;
    }
    if (!fallback) return reading;
    const failed = (counted[reading.trigger] ?? 0) + 1;
    counted[reading.trigger] = failed;
    if (failed <= fallback.failureThreshold) return reading;
    active = true;
    const replicas = fallbackReplicas(fallback, currentReplicas);
    return { trigger: reading.trigger, target: reading.target, activation: reading.activation, value: reading.target * replicas, active: true, fallback: true };
  });
  return { readings: out, failures: counted, active };
}

/** doFallback's replica count for each `behavior`. */
export function fallbackReplicas(fallback: FallbackPolicy, currentReplicas: number): number {
  switch (fallback.behavior) {
    case 'currentReplicas':
      return currentReplicas;
    case 'currentReplicasIfHigher':
      return Math.max(currentReplicas, fallback.replicas);
    case 'currentReplicasIfLower':
      return Math.min(currentReplicas, fallback.replicas);
    default:
      return fallback.replicas;
  }
}
