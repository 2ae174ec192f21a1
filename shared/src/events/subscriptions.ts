import { z } from 'zod';
import { isEventDefinition, type EventDefinition } from './define';

/** What a function may subscribe to: an event definition, or a topic pattern (`*` one word, `#` any). */
export type Subscribable = string | EventDefinition;

/** Splits subscriptions into the broker's topic patterns and the definitions that validate their types. */
export function subscriptionsOf(subscribes: readonly Subscribable[]): { patterns: string[]; events: Record<string, EventDefinition> } {
  const patterns: string[] = [];
  const events: Record<string, EventDefinition> = {};
  for (const subscription of subscribes) {
    if (isEventDefinition(subscription)) {
      if (events[subscription.type] && events[subscription.type] !== subscription) throw new Error(`event type ${subscription.type} is defined twice`);
      events[subscription.type] = subscription;
      if (!patterns.includes(subscription.type)) patterns.push(subscription.type);
    } else if (!patterns.includes(subscription)) {
      patterns.push(subscription);
    }
  }
  return { patterns, events };
}

/** Stands in for `schema` when a function subscribes to definitions only: a type none of them declares cannot be read. */
export const undeclaredEventSchema = z.unknown().refine(() => false, 'no event definition among the subscriptions declares this type');

/** The schema that validates an event of `type` for a function: its definition's, else the declaration's `schema`. */
export function schemaFor(declaration: { schema: z.ZodType; events?: Readonly<Record<string, EventDefinition>> }, type: string): z.ZodType {
  return declaration.events?.[type]?.schema ?? declaration.schema;
}
