import { z } from 'zod';
import type { Database } from '../db/client';
import type { EventDefinition } from '../events/define';
import { subscriptionsOf, undeclaredEventSchema, type Subscribable } from '../events/subscriptions';
import type { PublishEvent } from '../outbox/publisher';
import type { Logger } from '../log/index';

/** autoscaling/v2 `HPAScalingPolicy`: change by `value` pods, or `value` percent, within `periodSeconds`. */
export interface HpaScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

/** autoscaling/v2 `HPAScalingRules`; what is left out takes Kubernetes' default for its direction. */
export interface HpaScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: HpaScalingPolicy[];
}

/** autoscaling/v2 `HorizontalPodAutoscalerBehavior` (KEDA `advanced.horizontalPodAutoscalerConfig.behavior`). */
export interface HpaBehavior {
  scaleUp?: HpaScalingRules;
  /** Its stabilisation window is `scaleDownStabilizationWindowSeconds`. */
  scaleDown?: Omit<HpaScalingRules, 'stabilizationWindowSeconds'>;
}

/** KEDA `spec.fallback`: replicas to run once the scaler has failed more than `failureThreshold` times in a row. */
export interface FallbackPolicy {
  failureThreshold: number;
  replicas: number;
  /** KEDA's default: `static`. */
  behavior: 'static' | 'currentReplicas' | 'currentReplicasIfHigher' | 'currentReplicasIfLower';
}

/** KEDA ScaledObject fields (same names, same defaults), its pause annotations, the HPA behaviour and the scalers' options. */
export interface ScalingPolicy {
  minReplicaCount: number;
  maxReplicaCount: number;
  /** Queue length one replica is expected to handle (KEDA `queueLength` / `value`); a publish rate per replica in RabbitMQ `MessageRate` mode. */
  targetQueueLength: number;
  /** The function is active while the queue length is strictly greater than this. */
  activationQueueLength: number;
  /** Seconds between two looks at the queue. */
  pollingInterval: number;
  /** Seconds without activity before scaling back to zero (or to idleReplicaCount). */
  cooldownPeriod: number;
  /** Seconds after the ScaledObject is created before the first scale to zero (KEDA default 0). */
  initialCooldownPeriod: number;
  /** Replicas while inactive, below minReplicaCount (KEDA: only 0 works with the HPA); unset: minReplicaCount. */
  idleReplicaCount: number | undefined;
  /** HPA `behavior.scaleDown.stabilizationWindowSeconds`. */
  scaleDownStabilizationWindowSeconds: number;
  /** The rest of the HPA `behavior`; empty: Kubernetes' defaults. */
  behavior: HpaBehavior;
  fallback: FallbackPolicy | undefined;
  /** `autoscaling.keda.sh/paused`: KEDA and the HPA leave the replica count alone. */
  paused: boolean;
  /** `autoscaling.keda.sh/paused-replicas`: held at this count (wins over `paused`). */
  pausedReplicas: number | undefined;
  /** `autoscaling.keda.sh/paused-scale-in`: never fewer replicas. */
  pausedScaleIn: boolean;
  /** `autoscaling.keda.sh/paused-scale-out`: never more replicas. */
  pausedScaleOut: boolean;
  /**
   * A KEDA `external-push` trigger served by the publish function (PUSH_SCALER_PORT): it says "active" the
   * moment it publishes to this function's queue, so a function at zero wakes without waiting for a poll.
   * Activation only, beside the broker triggers, which still size and see other publishers.
   */
  pushActivation: boolean;
  rabbitmq: {
    /** KEDA rabbitmq `mode`: queue length, or publish rate (messages/s) per replica. */
    mode: 'QueueLength' | 'MessageRate';
    /** KEDA rabbitmq `excludeUnacknowledged`: count ready messages only (busy replicas may then be scaled away). */
    excludeUnacknowledged: boolean;
    /** A second trigger over AMQP for activation: a passive queue declare sees ready messages at once, not after a statistics refresh. */
    activationOverAmqp: boolean;
  };
  sqs: {
    /** KEDA aws-sqs-queue `scaleOnInFlight`: count received, not yet deleted messages. */
    scaleOnInFlight: boolean;
    /** KEDA aws-sqs-queue `scaleOnDelayed`: count delayed messages. */
    scaleOnDelayed: boolean;
  };
}

/** What a declaration may say about scaling: any part of the policy. */
export type ScalingOptions = Partial<Omit<ScalingPolicy, 'behavior' | 'fallback' | 'rabbitmq' | 'sqs'>> & {
  /** `scaleDown.stabilizationWindowSeconds` here is the same setting as `scaleDownStabilizationWindowSeconds`. */
  behavior?: { scaleUp?: HpaScalingRules; scaleDown?: HpaScalingRules };
  fallback?: Omit<FallbackPolicy, 'behavior'> & Partial<Pick<FallbackPolicy, 'behavior'>>;
  rabbitmq?: Partial<ScalingPolicy['rabbitmq']>;
  sqs?: Partial<ScalingPolicy['sqs']>;
};

export interface RetryPolicy {
  /** Deliveries in all, the first included, before the message is dead-lettered. */
  maxAttempts: number;
  /** Delay before the second attempt; doubled (times `multiplier`) for each one after. */
  initialDelayMs: number;
  multiplier: number;
  maxDelayMs: number;
  /**
   * How each delay is spread so that messages which failed together do not return together
   * (`equal`, the default: half the backoff plus a random part of the other half; `full`: 0 to the
   * backoff; `none`: the backoff exactly). RabbitMQ rounds a delay up to its delay queue's.
   */
  jitter?: RetryJitter;
}

export type RetryJitter = 'none' | 'full' | 'equal';

export interface HandlerContext {
  /** The transaction the runtime's inbox row commits in: write through it for an exactly-once effect. */
  db: Database;
  eventId: string;
  eventType: string;
  /** ISO time the event was accepted by the publish function. */
  eventTime: string;
  attempt: number;
  log: Logger;
  /**
   * Aborted when the handler should give up: its `handlerTimeoutMs` ran out (the message is retried),
   * or the replica's shutdown grace period ended (the message goes back to the queue). Pass it to
   * `fetch` and other calls that take a signal; `signal.reason` says which.
   */
  signal: AbortSignal;
  /**
   * Publishes an event from the handler: written to the outbox in this transaction (nothing is sent unless
   * it commits), sent by the replica's relay; its id follows from this event's id and the call's position.
   */
  publish: PublishEvent;
}

export interface BatchItem<T> {
  event: T;
  ctx: HandlerContext;
}

/** The items a batch handler could not process; the rest of the batch is committed and acknowledged. */
export type BatchResult = void | { failed: { eventId: string; error: unknown }[] };

interface CommonDeclaration<S extends z.ZodType> {
  /** DNS-label name: the package, queue, Deployment and ScaledObject are all called this. */
  name: string;
  description?: string;
  /** Event types (RabbitMQ topic patterns: `*` one word, `#` any words) this function receives. */
  subscribes: string[];
  /** The event definitions among the subscriptions, by type: each validates the events of its type. */
  events?: Readonly<Record<string, EventDefinition>>;
  /** Validates the event's `data` before the handler sees it; invalid events are dead-lettered. */
  schema: S;
  /** Messages processed at once by one replica (RabbitMQ prefetch, SQS receivers × 10). */
  concurrency: number;
  /** Largest batch handed to a batch handler. */
  batchSize: number;
  /** Seconds a replica may take to drain after SIGTERM (the pod's terminationGracePeriodSeconds). */
  shutdownGracePeriodSeconds: number;
  /** Seconds a received message stays invisible to other consumers (SQS); the heartbeat extends it. */
  visibilityTimeoutSeconds: number;
  /** Postgres connections one replica opens. */
  poolSize: number;
  /**
   * Milliseconds one handler call may take (the whole batch for `handleBatch`); then `ctx.signal` is
   * aborted, the transaction rolls back and the message is retried like any failure. Unset: no limit.
   */
  handlerTimeoutMs?: number;
  retry: RetryPolicy;
  scaling: ScalingPolicy;
}

export interface SingleHandlerDeclaration<S extends z.ZodType> extends CommonDeclaration<S> {
  handler: (event: z.output<S>, ctx: HandlerContext) => Promise<void>;
  handleBatch?: never;
}

export interface BatchHandlerDeclaration<S extends z.ZodType> extends CommonDeclaration<S> {
  /** Runs in one transaction for the whole batch; throw to retry each item on its own. */
  handleBatch: (items: BatchItem<z.output<S>>[], db: Database) => Promise<BatchResult>;
  handler?: never;
}

export type FunctionDeclaration<S extends z.ZodType = z.ZodType> = SingleHandlerDeclaration<S> | BatchHandlerDeclaration<S>;

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? Partial<T[K]> : T[K] };
type Defaulted = 'concurrency' | 'batchSize' | 'shutdownGracePeriodSeconds' | 'visibilityTimeoutSeconds' | 'poolSize' | 'retry';
type Options<D> = Omit<D, Defaulted | 'scaling' | 'subscribes' | 'events'> &
  DeepPartial<Pick<D, Defaulted & keyof D>> & { scaling?: ScalingOptions; subscribes: readonly Subscribable[] };
export type FunctionOptions<S extends z.ZodType> = Options<SingleHandlerDeclaration<S>> | Options<BatchHandlerDeclaration<S>>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A function subscribed to event definitions only: its handler's input is their data (no `schema`). */
export type EventFunctionOptions<E extends readonly EventDefinition[]> = DistributiveOmit<FunctionOptions<E[number]['schema']>, 'subscribes' | 'schema'> & {
  subscribes: E;
  schema?: never;
};

/** KEDA's ScaledObject and scaler defaults, and the HPA's default scale-down window. */
export const kedaDefaults: ScalingPolicy = {
  minReplicaCount: 0,
  maxReplicaCount: 100,
  targetQueueLength: 5,
  activationQueueLength: 0,
  pollingInterval: 30,
  cooldownPeriod: 300,
  initialCooldownPeriod: 0,
  idleReplicaCount: undefined,
  scaleDownStabilizationWindowSeconds: 300,
  behavior: {},
  fallback: undefined,
  paused: false,
  pausedReplicas: undefined,
  pausedScaleIn: false,
  pausedScaleOut: false,
  pushActivation: false,
  rabbitmq: { mode: 'QueueLength', excludeUnacknowledged: false, activationOverAmqp: true },
  sqs: { scaleOnInFlight: true, scaleOnDelayed: false },
};

export const retryDefaults: RetryPolicy = { maxAttempts: 5, initialDelayMs: 1_000, multiplier: 2, maxDelayMs: 60_000 };

const dnsLabel = /^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$/;
const topicPattern = /^(\*|#|[A-Za-z0-9_-]+)(\.(\*|#|[A-Za-z0-9_-]+))*$/;

const whole = (min: number, max?: number) => (max === undefined ? z.number().int().min(min) : z.number().int().min(min).max(max));

/** Kubernetes' validation of autoscaling/v2 HPAScalingRules (ValidateHPAScalingRules). */
const scalingRulesShape = z
  .object({
    stabilizationWindowSeconds: whole(0, 3600).optional(),
    selectPolicy: z.enum(['Max', 'Min', 'Disabled']).optional(),
    policies: z
      .array(z.object({ type: z.enum(['Pods', 'Percent']), value: whole(1), periodSeconds: whole(1, 1800) }).strict())
      .min(1, 'must hold at least one policy')
      .optional(),
  })
  .strict();

/** KEDA's ScaledObject validation (CheckReplicaCountBoundsAreValid, CheckFallbackValid) and its CRD enums. */
const scalingShape = z
  .object({
    minReplicaCount: whole(0),
    maxReplicaCount: whole(1),
    targetQueueLength: z.number().positive(),
    activationQueueLength: z.number().min(0),
    // KEDA's ScaledObject fields are whole seconds (int32).
    pollingInterval: whole(1),
    cooldownPeriod: whole(0),
    initialCooldownPeriod: whole(0),
    idleReplicaCount: whole(0).optional(),
    scaleDownStabilizationWindowSeconds: whole(0, 3600),
    behavior: z.object({ scaleUp: scalingRulesShape.optional(), scaleDown: scalingRulesShape.omit({ stabilizationWindowSeconds: true }).optional() }).strict(),
    fallback: z
      .object({
        failureThreshold: whole(0),
        replicas: whole(0),
        behavior: z.enum(['static', 'currentReplicas', 'currentReplicasIfHigher', 'currentReplicasIfLower']),
      })
      .strict()
      .optional(),
    paused: z.boolean(),
    pausedReplicas: whole(0).optional(),
    pausedScaleIn: z.boolean(),
    pausedScaleOut: z.boolean(),
    pushActivation: z.boolean(),
    rabbitmq: z.object({ mode: z.enum(['QueueLength', 'MessageRate']), excludeUnacknowledged: z.boolean(), activationOverAmqp: z.boolean() }).strict(),
    sqs: z.object({ scaleOnInFlight: z.boolean(), scaleOnDelayed: z.boolean() }).strict(),
  })
  .strict()
  .refine((s) => s.minReplicaCount <= s.maxReplicaCount, 'minReplicaCount must not exceed maxReplicaCount')
  .refine((s) => s.idleReplicaCount === undefined || s.idleReplicaCount < s.minReplicaCount, {
    message: 'must be less than minReplicaCount (KEDA)',
    path: ['idleReplicaCount'],
  })
  .refine((s) => s.pausedReplicas === undefined || s.pausedReplicas <= s.maxReplicaCount, {
    message: 'must not exceed maxReplicaCount',
    path: ['pausedReplicas'],
  });

/** The declared scaling options over KEDA's defaults, nested objects merged, the scale-down window in one place. */
function mergeScaling(name: string, options: ScalingOptions | undefined): ScalingPolicy {
  const declared = options ?? {};
  const { stabilizationWindowSeconds: windowInBehavior, ...scaleDown } = declared.behavior?.scaleDown ?? {};
  if (
    windowInBehavior !== undefined &&
    declared.scaleDownStabilizationWindowSeconds !== undefined &&
    windowInBehavior !== declared.scaleDownStabilizationWindowSeconds
  ) {
    throw new Error(
      `function ${name}: scaling.behavior.scaleDown.stabilizationWindowSeconds and scaling.scaleDownStabilizationWindowSeconds differ; declare one`,
    );
  }
  const behavior: HpaBehavior = {};
  if (declared.behavior?.scaleUp) behavior.scaleUp = declared.behavior.scaleUp;
  if (declared.behavior?.scaleDown) behavior.scaleDown = scaleDown;
  const scaling: ScalingPolicy = {
    ...kedaDefaults,
    ...declared,
    behavior,
    fallback: declared.fallback ? { behavior: 'static', ...declared.fallback } : undefined,
    rabbitmq: { ...kedaDefaults.rabbitmq, ...declared.rabbitmq },
    sqs: { ...kedaDefaults.sqs, ...declared.sqs },
  };
  if (windowInBehavior !== undefined) scaling.scaleDownStabilizationWindowSeconds = windowInBehavior;
  return scaling;
}

/** What `defineFunction` checks a declaration against; the chart's `values.schema.json` is generated from it too. */
export const declarationShape = z
  .object({
    name: z.string().regex(dnsLabel, 'must be a DNS label of at most 40 characters (a-z, 0-9, -)'),
    subscribes: z.array(z.string().regex(topicPattern, 'must be a dot-separated topic pattern')).min(1),
    concurrency: z.number().int().min(1).max(1000),
    batchSize: z.number().int().min(1).max(1000),
    shutdownGracePeriodSeconds: z.number().int().min(1).max(3600),
    visibilityTimeoutSeconds: z.number().int().min(1).max(43_200),
    poolSize: z.number().int().min(1).max(100),
    handlerTimeoutMs: z.number().int().min(1).max(86_400_000).optional(),
    retry: z.object({
      maxAttempts: z.number().int().min(1).max(100),
      initialDelayMs: z.number().int().min(0),
      multiplier: z.number().min(1),
      maxDelayMs: z.number().int().min(0),
      jitter: z.enum(['none', 'full', 'equal']).optional(),
    }),
    scaling: scalingShape,
  })
  .loose();

/**
 * Declares a queue-driven function: everything about it, next to its handler.
 * The KEDA manifests, the Helm values and the local runner are derived from this.
 *
 * @example
 * export default defineFunction({
 *   name: 'store-message',
 *   subscribes: ['message.published'],
 *   schema: messageEvent,
 *   handler: async (event, { db }) => { await db.insert(messages).values(...) },
 *   scaling: { maxReplicaCount: 10, targetQueueLength: 100 },
 * });
 */
export function defineFunction<const E extends readonly EventDefinition[]>(options: EventFunctionOptions<E>): FunctionDeclaration<E[number]['schema']>;
export function defineFunction<S extends z.ZodType>(options: FunctionOptions<S>): FunctionDeclaration<S>;
export function defineFunction(options: FunctionOptions<z.ZodType> | EventFunctionOptions<readonly EventDefinition[]>): FunctionDeclaration {
  const { patterns, events } = subscriptionsOf(options.subscribes);
  const hasEvents = Object.keys(events).length > 0;
  if (!options.schema && patterns.some((pattern) => !events[pattern])) {
    throw new Error(`function ${options.name}: declare a schema for the topic patterns, or subscribe to event definitions only`);
  }
  const declaration = {
    concurrency: 10,
    batchSize: 1,
    shutdownGracePeriodSeconds: 30,
    visibilityTimeoutSeconds: 30,
    poolSize: 5,
    ...options,
    subscribes: patterns,
    ...(hasEvents ? { events: Object.freeze(events) } : {}),
    schema: options.schema ?? undeclaredEventSchema,
    retry: { ...retryDefaults, ...options.retry },
    scaling: mergeScaling(options.name, options.scaling),
  } as FunctionDeclaration;
  if (!declaration.handler === !declaration.handleBatch) {
    throw new Error(`function ${options.name}: declare exactly one of handler or handleBatch`);
  }
  const checked = declarationShape.safeParse(declaration);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new Error(`function ${options.name}: ${issue.path.join('.') || 'declaration'} ${issue.message}`);
  }
  return Object.freeze(declaration);
}

/** Delay before attempt `attempt + 1`, given that attempt `attempt` (1-based) failed. */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  const delay = policy.initialDelayMs * policy.multiplier ** Math.max(0, attempt - 1);
  return Math.min(policy.maxDelayMs, Math.round(delay));
}

/** Every distinct retry delay a policy can produce, in order. */
export function retryDelays(policy: RetryPolicy): number[] {
  const delays = new Set<number>();
  for (let attempt = 1; attempt < policy.maxAttempts; attempt++) delays.add(retryDelayMs(policy, attempt));
  return [...delays];
}
