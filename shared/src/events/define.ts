import { z } from 'zod';

/** An event type's name, which is also its routing key: dot-separated lower-case words. */
export const eventType = z
  .string()
  .max(128)
  .regex(/^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$/, 'must be dot-separated lower-case words, e.g. message.published');

export interface EventOptions {
  /** Raised on purpose when a change is incompatible (see `npm run generate -- --check`); starts at 1. */
  version?: number;
  description?: string;
}

/**
 * One event type, declared once: its name (the routing key) and the zod schema of its `data`.
 * Publishers (`POST /events/{type}`, `ctx.publish`) and subscribers (`defineFunction({ subscribes: [it] })`)
 * share it, so the compiler checks that what is sent is what is received (Encore's `Topic<Msg>`).
 */
export interface EventDefinition<T extends string = string, S extends z.ZodType = z.ZodType> {
  readonly kind: 'event';
  readonly type: T;
  readonly schema: S;
  readonly version: number;
  readonly description: string | undefined;
}

/** The data an event definition carries, as a handler receives it. */
export type EventData<E> = E extends EventDefinition<string, infer S> ? z.output<S> : never;
/** The data as a publisher hands it over (before defaults are applied). */
export type EventInput<E> = E extends EventDefinition<string, infer S> ? z.input<S> : never;

/**
 * Declares an event type.
 *
 * @example
 * export const jobCompleted = defineEvent('job.completed', z.strictObject({ jobId: z.string(), kind: z.string() }));
 */
export function defineEvent<const T extends string, S extends z.ZodType>(type: T, schema: S, options: EventOptions = {}): EventDefinition<T, S> {
  const checked = eventType.safeParse(type);
  if (!checked.success) throw new Error(`event type ${JSON.stringify(type)}: ${checked.error.issues[0]!.message}`);
  const version = options.version ?? 1;
  if (!Number.isInteger(version) || version < 1) throw new Error(`event type ${type}: version must be a whole number from 1`);
  return Object.freeze({ kind: 'event' as const, type, schema, version, description: options.description });
}

export function isEventDefinition(value: unknown): value is EventDefinition {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'event';
}

/** Definitions by type; two different definitions of one type are a mistake. */
export function eventsByType(definitions: Iterable<EventDefinition>): Map<string, EventDefinition> {
  const byType = new Map<string, EventDefinition>();
  for (const definition of definitions) {
    const known = byType.get(definition.type);
    if (known && known !== definition) throw new Error(`event type ${definition.type} is defined twice`);
    byType.set(definition.type, definition);
  }
  return byType;
}

/** Every definition exported by the given modules, directly or one object deep (`export const jobs = { a, b }`). */
export function collectEventDefinitions(modules: readonly Record<string, unknown>[]): Map<string, EventDefinition> {
  const found: EventDefinition[] = [];
  for (const module of modules) {
    for (const value of Object.values(module)) {
      if (isEventDefinition(value)) found.push(value);
      else if (typeof value === 'object' && value !== null) for (const inner of Object.values(value)) if (isEventDefinition(inner)) found.push(inner);
    }
  }
  return eventsByType(found);
}
