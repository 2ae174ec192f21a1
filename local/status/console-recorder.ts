import type { ConsoleHub } from '../../console/server/hub';
import type { InboxProbe } from '../../console/server/inbox-probe';
import type { FunctionInfo, ScaleMarker } from '../../console/server/model';
import type { ScaleDecision } from '../autoscaler/decide';
import type { FunctionStatus, LocalRunner, ReplicaEvent } from '../runner';

export interface LocalConsoleRecorderOptions {
  /** Queue lag from the inbox; without it lag stays empty. */
  inbox?: InboxProbe;
  intervalMs?: number;
}

/** Holds worth a marker: the HPA held back by a rule, KEDA counting down its cooldown, a pause, or a queue that cannot be read. */
const notableHold = /limited to|held at|capped at|cooling down|paused|unavailable|fallback/;
/** "…, 0 in 4.3 s" changes every tick: compare reasons without their numbers. */
const shapeOf = (reason: string) => reason.replace(/[\d.]+/g, '#');

/** A decision as a chart marker, or undefined for the routine ones (nothing due, nothing to do). */
export function markerOf(decision: ScaleDecision, lastHoldShape: Map<string, string>): ScaleMarker | undefined {
  const base = { function: decision.function, at: decision.at, from: decision.from, to: decision.to, by: decision.by, reason: decision.reason };
  if (decision.from !== decision.to) {
    lastHoldShape.delete(decision.function);
    return { ...base, kind: 'scale' };
  }
  if (!notableHold.test(decision.reason)) {
    if (decision.by !== 'none' || !/nothing due/.test(decision.reason)) lastHoldShape.delete(decision.function);
    return undefined;
  }
  const shape = shapeOf(decision.reason);
  if (lastHoldShape.get(decision.function) === shape) return undefined;
  lastHoldShape.set(decision.function, shape);
  return { ...base, kind: 'hold' };
}

export function functionInfoOf(fn: Pick<FunctionStatus, 'name' | 'scaling'>): FunctionInfo {
  const s = fn.scaling;
  return {
    name: fn.name,
    minReplicaCount: s.minReplicaCount,
    maxReplicaCount: s.maxReplicaCount,
    targetQueueLength: s.targetQueueLength,
    activationQueueLength: s.activationQueueLength,
    pollingInterval: s.pollingInterval,
    cooldownPeriod: s.cooldownPeriod,
  };
}

/**
 * Feeds the console from a running LocalRunner: a point per function every second (queue depth,
 * replicas, processed/s from the runner's status, queue lag from the inbox), a marker per scale change
 * and per notable hold, a cold start per replica that became ready.
 *
 * @example
 * const recorder = recordLocalConsole(runner, hub, { inbox: new InboxProbe(db) });
 * // …
 * await recorder.stop();
 */
export function recordLocalConsole(runner: LocalRunner, hub: ConsoleHub, options: LocalConsoleRecorderOptions = {}): { stop(): Promise<void> } {
  const lastHoldShape = new Map<string, string>();
  let known = '';
  const onDecision = (decision: ScaleDecision) => {
    const marker = markerOf(decision, lastHoldShape);
    if (marker) hub.marker(marker);
  };
  const onReplica = (event: ReplicaEvent) => {
    if (event.type !== 'ready' || event.function === 'publish') return;
    hub.coldStart({ function: event.function, at: Date.now(), replica: `${event.function}#${event.index}`, coldStartMs: event.coldStartMs });
  };
  runner.on('decision', onDecision);
  runner.on('replica', onReplica);

  let running = true;
  let timer: NodeJS.Timeout | undefined;
  let sampling: Promise<void> | undefined;
  const sample = async () => {
    const status = runner.status();
    const names = status.functions.map((fn) => fn.name).join(',');
    if (names !== known) {
      known = names;
      hub.setFunctions(status.functions.map(functionInfoOf));
    }
    const t = Date.now();
    await Promise.all(
      status.functions.map(async (fn) => {
        let lag: { lagP50: number | null; lagP99: number | null } = { lagP50: null, lagP99: null };
        try {
          const reading = await options.inbox?.read(fn.name);
          if (reading) lag = { lagP50: reading.lagP50, lagP99: reading.lagP99 };
          hub.warn(`inbox:${fn.name}`, undefined);
        } catch (error) {
          hub.warn(`inbox:${fn.name}`, `queue lag of ${fn.name} unavailable: ${error instanceof Error ? error.message : String(error)}`);
        }
        hub.warn(`depth:${fn.name}`, fn.depthError ? `queue of ${fn.name} unreadable: ${fn.depthError}` : undefined);
        hub.record(fn.name, {
          t,
          ready: fn.depth?.ready ?? null,
          inFlight: fn.depth?.inFlight ?? null,
          delayed: fn.depth?.delayed ?? null,
          desired: fn.replicas.desired,
          readyReplicas: fn.replicas.ready,
          processedPerSecond: fn.processedPerSecond,
          ...lag,
        });
      }),
    );
  };
  const loop = () => {
    if (!running) return;
    timer = setTimeout(() => {
      sampling = sample().finally(() => {
        sampling = undefined;
        loop();
      });
    }, options.intervalMs ?? 1_000);
  };
  loop();

  return {
    async stop() {
      running = false;
      clearTimeout(timer);
      await sampling;
      runner.off('decision', onDecision);
      runner.off('replica', onReplica);
    },
  };
}
