import { z } from 'zod';
import type { Database } from '../db/client';
import type { Logger } from '../log/index';

/** KEDA ScaledObject fields (same names, same defaults) plus the HPA scale-down window. */
export interface ScalingPolicy {
  minReplicaCount: number;
  maxReplicaCount: number;
  /** Queue length one replica is expected to handle (KEDA `queueLength` / `value`). */
  targetQueueLength: number;
  /** The function is active while the queue length is strictly greater than this. */
  activationQueueLength: number;
  /** Seconds between two looks at the queue. */
  pollingInterval: number;
  /** Seconds without activity before scaling back to zero. */
  cooldownPeriod: number;
  /** HPA `behavior.scaleDown.stabilizationWindowSeconds`. */
  scaleDownStabilizationWindowSeconds: number;
}

export interface RetryPolicy {
  /** Deliveries in all, the first included, before the message is dead-lettered. */
  maxAttempts: number;
  /** Delay before the second attempt; doubled (times `multiplier`) for each one after. */
  initialDelayMs: number;
  multiplier: number;
  maxDelayMs: number;
}

export interface HandlerContext {
  /** The transaction the runtime's inbox row commits in: write through it for an exactly-once effect. */
  db: Database;
  eventId: string;
  eventType: string;
  /** ISO time the event was accepted by the publish function. */
  eventTime: string;
  attempt: number;
  log: Logger;
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
type Defaulted = 'concurrency' | 'batchSize' | 'shutdownGracePeriodSeconds' | 'visibilityTimeoutSeconds' | 'poolSize' | 'retry' | 'scaling';
export type FunctionOptions<S extends z.ZodType> =
  | (Omit<SingleHandlerDeclaration<S>, Defaulted> & DeepPartial<Pick<SingleHandlerDeclaration<S>, Defaulted>>)
  | (Omit<BatchHandlerDeclaration<S>, Defaulted> & DeepPartial<Pick<BatchHandlerDeclaration<S>, Defaulted>>);

/** KEDA's ScaledObject defaults, and the HPA's default scale-down window. */
export const kedaDefaults: ScalingPolicy = {
  minReplicaCount: 0,
  maxReplicaCount: 100,
  targetQueueLength: 5,
  activationQueueLength: 0,
  pollingInterval: 30,
  cooldownPeriod: 300,
  scaleDownStabilizationWindowSeconds: 300,
};

export const retryDefaults: RetryPolicy = { maxAttempts: 5, initialDelayMs: 1_000, multiplier: 2, maxDelayMs: 60_000 };

const dnsLabel = /^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$/;
const topicPattern = /^(\*|#|[A-Za-z0-9_-]+)(\.(\*|#|[A-Za-z0-9_-]+))*$/;

const declarationShape = z
  .object({
    name: z.string().regex(dnsLabel, 'must be a DNS label of at most 40 characters (a-z, 0-9, -)'),
    subscribes: z.array(z.string().regex(topicPattern, 'must be a dot-separated topic pattern')).min(1),
    concurrency: z.number().int().min(1).max(1000),
    batchSize: z.number().int().min(1).max(1000),
    shutdownGracePeriodSeconds: z.number().int().min(1).max(3600),
    visibilityTimeoutSeconds: z.number().int().min(1).max(43_200),
    poolSize: z.number().int().min(1).max(100),
    retry: z.object({
      maxAttempts: z.number().int().min(1).max(100),
      initialDelayMs: z.number().int().min(0),
      multiplier: z.number().min(1),
      maxDelayMs: z.number().int().min(0),
    }),
    scaling: z
      .object({
        minReplicaCount: z.number().int().min(0),
        maxReplicaCount: z.number().int().min(1),
        targetQueueLength: z.number().positive(),
        activationQueueLength: z.number().min(0),
        pollingInterval: z.number().positive(),
        cooldownPeriod: z.number().min(0),
        scaleDownStabilizationWindowSeconds: z.number().int().min(0).max(3600),
      })
      .refine((s) => s.minReplicaCount <= s.maxReplicaCount, 'minReplicaCount must not exceed maxReplicaCount'),
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
export function defineFunction<S extends z.ZodType>(options: FunctionOptions<S>): FunctionDeclaration<S> {
  const declaration = {
    concurrency: 10,
    batchSize: 1,
    shutdownGracePeriodSeconds: 30,
    visibilityTimeoutSeconds: 30,
    poolSize: 5,
    ...options,
    retry: { ...retryDefaults, ...options.retry },
    scaling: { ...kedaDefaults, ...options.scaling },
  } as FunctionDeclaration<S>;
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
