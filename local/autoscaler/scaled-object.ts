import { kedaDefaults, type FallbackPolicy, type HpaBehavior, type ScalingPolicy } from '@qfn/shared/platform';

/** One trigger of a ScaledObject, as the local runner's scalers read it (KEDA's metadata, parsed with KEDA's defaults). */
export type QueueTrigger =
  | {
      type: 'rabbitmq';
      name: string;
      queueName: string;
      protocol: 'http' | 'amqp';
      mode: 'QueueLength' | 'MessageRate';
      excludeUnacknowledged: boolean;
      /** KEDA `value`: the AverageValue target per replica. */
      target: number;
      /** KEDA `activationValue`. */
      activation: number;
    }
  | {
      type: 'aws-sqs-queue';
      name: string;
      queueName: string;
      scaleOnInFlight: boolean;
      scaleOnDelayed: boolean;
      /** KEDA `queueLength`. */
      target: number;
      /** KEDA `activationQueueLength`. */
      activation: number;
    }
  | {
      /** The publish function's push scaler (KEDA's external-push scaler): activation only, its metric is 0. */
      type: 'external-push';
      name: string;
      /** host:port of its gRPC server. */
      scalerAddress: string;
      /** The whole trigger metadata, passed to the scaler as ScaledObjectRef.scalerMetadata (as KEDA does). */
      metadata: Record<string, string>;
      target: number;
      activation: number;
    };

/** What the local autoscaler follows: the ScaledObject's spec and annotations, and its triggers. */
export interface LocalScaledObject {
  /** The scaling policy the ScaledObject says (broker options of the other broker are KEDA's defaults). */
  policy: ScalingPolicy;
  triggers: QueueTrigger[];
}

interface ScaledObjectLike {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    pollingInterval?: number;
    cooldownPeriod?: number;
    initialCooldownPeriod?: number;
    idleReplicaCount?: number;
    minReplicaCount?: number;
    maxReplicaCount?: number;
    fallback?: { failureThreshold: number; replicas: number; behavior?: string };
    advanced?: { horizontalPodAutoscalerConfig?: { behavior?: { scaleUp?: Record<string, unknown>; scaleDown?: Record<string, unknown> } } };
    triggers: { type: string; name?: string; metadata: Record<string, string> }[];
  };
}

/** KEDA's getBoolAnnotation: absent is false, unparsable is true. */
function boolAnnotation(annotations: Record<string, string>, key: string): boolean {
  const value = annotations[key];
  if (value === undefined) return false;
  const parsed = parseGoBool(value);
  return parsed ?? true;
}

/** Go's strconv.ParseBool. */
function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

function metadataNumber(so: string, trigger: string, metadata: Record<string, string>, key: string, fallback: number): number {
  const raw = metadata[key];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) throw new Error(`ScaledObject ${so} trigger ${trigger}: ${key} "${raw}" is not a number`);
  return value;
}

function metadataBool(so: string, trigger: string, metadata: Record<string, string>, key: string, fallback: boolean): boolean {
  const raw = metadata[key];
  if (raw === undefined) return fallback;
  const value = parseGoBool(raw);
  if (value === undefined) throw new Error(`ScaledObject ${so} trigger ${trigger}: ${key} "${raw}" is not a boolean`);
  return value;
}

/** Reads one trigger with the defaults of KEDA's rabbitmq and aws-sqs-queue scalers. */
export function readTrigger(so: string, index: number, trigger: ScaledObjectLike['spec']['triggers'][number]): QueueTrigger {
  const name = trigger.name ?? `s${index}`;
  const m = trigger.metadata;
  if (trigger.type === 'rabbitmq') {
    const protocol = m['protocol'] ?? 'auto';
    if (protocol !== 'http' && protocol !== 'amqp')
      throw new Error(`ScaledObject ${so} trigger ${name}: protocol ${protocol} (the local runner reads http or amqp)`);
    const mode = m['mode'] ?? 'QueueLength';
    if (mode !== 'QueueLength' && mode !== 'MessageRate') throw new Error(`ScaledObject ${so} trigger ${name}: mode ${mode}`);
    if (mode === 'MessageRate' && protocol !== 'http') throw new Error(`ScaledObject ${so} trigger ${name}: mode MessageRate needs protocol http`);
    const excludeUnacknowledged = metadataBool(so, name, m, 'excludeUnacknowledged', false);
    if (excludeUnacknowledged && protocol !== 'http') throw new Error(`ScaledObject ${so} trigger ${name}: excludeUnacknowledged needs protocol http`);
    return {
      type: 'rabbitmq',
      name,
      queueName: m['queueName'] ?? '',
      protocol,
      mode,
      excludeUnacknowledged,
      target: metadataNumber(so, name, m, 'value', 20),
      activation: metadataNumber(so, name, m, 'activationValue', 0),
    };
  }
  if (trigger.type === 'aws-sqs-queue') {
    return {
      type: 'aws-sqs-queue',
      name,
      queueName: (m['queueURL'] ?? '').split('/').pop() ?? '',
      scaleOnInFlight: metadataBool(so, name, m, 'scaleOnInFlight', true),
      scaleOnDelayed: metadataBool(so, name, m, 'scaleOnDelayed', false),
      target: metadataNumber(so, name, m, 'queueLength', 5),
      activation: metadataNumber(so, name, m, 'activationQueueLength', 0),
    };
  }
  if (trigger.type === 'external-push') {
    const scalerAddress = m['scalerAddress'];
    if (!scalerAddress) throw new Error(`ScaledObject ${so} trigger ${name}: external-push needs scalerAddress`);
    // The push scaler's one metric has target 1 and is always 0 (server.ts): it never sizes.
    return { type: 'external-push', name, scalerAddress, metadata: { ...m }, target: 1, activation: 0 };
  }
  throw new Error(`ScaledObject ${so}: trigger type ${trigger.type} is not one the local runner reads`);
}

const fallbackBehaviors = ['static', 'currentReplicas', 'currentReplicasIfHigher', 'currentReplicasIfLower'] as const;

/**
 * The local runner's view of a ScaledObject (`kedaManifests(fn, broker)`, or one the chart rendered):
 * its spec with KEDA's defaults, its pause annotations, the HPA behaviour KEDA passes on, its triggers.
 * The sizing trigger (`queue`, else the first) gives `targetQueueLength` / `activationQueueLength`.
 *
 * @example
 * const { policy, triggers } = readScaledObject(kedaManifests(declaration, 'rabbitmq').at(-1)!);
 */
export function readScaledObject(scaledObject: ScaledObjectLike): LocalScaledObject {
  const { spec } = scaledObject;
  const name = scaledObject.metadata.name;
  const annotations = scaledObject.metadata.annotations ?? {};
  const triggers = spec.triggers.map((trigger, index) => readTrigger(name, index, trigger));
  const sizing = triggers.find((t) => t.name === 'queue') ?? triggers.find((t) => t.type !== 'external-push') ?? triggers[0];
  if (!sizing) throw new Error(`ScaledObject ${name} has no trigger`);
  const hpaBehavior = spec.advanced?.horizontalPodAutoscalerConfig?.behavior ?? {};
  const { stabilizationWindowSeconds: downWindow, ...scaleDown } = (hpaBehavior.scaleDown ?? {}) as { stabilizationWindowSeconds?: number };
  const behavior: HpaBehavior = {};
  if (hpaBehavior.scaleUp) behavior.scaleUp = hpaBehavior.scaleUp as HpaBehavior['scaleUp'];
  if (Object.keys(scaleDown).length > 0) behavior.scaleDown = scaleDown as HpaBehavior['scaleDown'];
  let fallback: FallbackPolicy | undefined;
  if (spec.fallback) {
    const behaviorName = spec.fallback.behavior ?? 'static';
    if (!(fallbackBehaviors as readonly string[]).includes(behaviorName)) throw new Error(`ScaledObject ${name}: fallback.behavior ${behaviorName}`);
    fallback = { failureThreshold: spec.fallback.failureThreshold, replicas: spec.fallback.replicas, behavior: behaviorName as FallbackPolicy['behavior'] };
  }
  const pausedReplicas = annotations['autoscaling.keda.sh/paused-replicas'];
  const rabbitmqTrigger = triggers.find((t) => t.type === 'rabbitmq' && t.protocol === 'http');
  const sqsTrigger = triggers.find((t) => t.type === 'aws-sqs-queue');
  const policy: ScalingPolicy = {
    minReplicaCount: spec.minReplicaCount ?? kedaDefaults.minReplicaCount,
    maxReplicaCount: spec.maxReplicaCount ?? kedaDefaults.maxReplicaCount,
    targetQueueLength: sizing.target,
    activationQueueLength: sizing.activation,
    pollingInterval: spec.pollingInterval ?? kedaDefaults.pollingInterval,
    cooldownPeriod: spec.cooldownPeriod ?? kedaDefaults.cooldownPeriod,
    initialCooldownPeriod: spec.initialCooldownPeriod ?? kedaDefaults.initialCooldownPeriod,
    idleReplicaCount: spec.idleReplicaCount,
    // The HPA's own default when KEDA passes no window (kube-controller-manager --horizontal-pod-autoscaler-downscale-stabilization).
    scaleDownStabilizationWindowSeconds: downWindow ?? kedaDefaults.scaleDownStabilizationWindowSeconds,
    behavior,
    fallback,
    paused: boolAnnotation(annotations, 'autoscaling.keda.sh/paused'),
    pausedReplicas: pausedReplicas === undefined ? undefined : pausedCount(name, pausedReplicas),
    pausedScaleIn: boolAnnotation(annotations, 'autoscaling.keda.sh/paused-scale-in'),
    pausedScaleOut: boolAnnotation(annotations, 'autoscaling.keda.sh/paused-scale-out'),
    pushActivation: triggers.some((t) => t.type === 'external-push'),
    rabbitmq:
      rabbitmqTrigger?.type === 'rabbitmq'
        ? {
            mode: rabbitmqTrigger.mode,
            excludeUnacknowledged: rabbitmqTrigger.excludeUnacknowledged,
            activationOverAmqp: triggers.some((t) => t.type === 'rabbitmq' && t.protocol === 'amqp'),
          }
        : kedaDefaults.rabbitmq,
    sqs: sqsTrigger?.type === 'aws-sqs-queue' ? { scaleOnInFlight: sqsTrigger.scaleOnInFlight, scaleOnDelayed: sqsTrigger.scaleOnDelayed } : kedaDefaults.sqs,
  };
  return { policy, triggers };
}

/** KEDA's GetPausedReplicaCount: strconv.ParseInt, an error stops scaling. */
function pausedCount(so: string, raw: string): number {
  if (!/^[+-]?\d+$/.test(raw)) throw new Error(`ScaledObject ${so}: autoscaling.keda.sh/paused-replicas "${raw}" is not an integer`);
  return Number(raw);
}
