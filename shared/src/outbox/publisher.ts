import { z } from 'zod';
import type { Database } from '../db/client';
import { outbox } from '../db/schema';
import type { EventDefinition, EventInput } from '../events/define';
import { encodeEnvelope } from '../messages/envelope';
import { PermanentError } from '../runtime/errors';
import { deliveryTime, type DeliveryOptions } from '../schedule/delivery-time';
import { injectTraceHeaders } from '../telemetry/propagation';
import { childEventId } from './child-id';

/** `ctx.publish`: writes the event to the outbox in the handler's transaction; returns its id. */
export type PublishEvent = <E extends EventDefinition>(event: E, data: EventInput<E>, options?: DeliveryOptions) => Promise<string>;

/**
 * The `ctx.publish` of one handler run for the event `parentId`: each call writes one outbox row in
 * `db` (the handler's transaction), its id derived from the parent's id and the call's position, with
 * the handler's trace context. Data that does not match the event's schema is a bug in the handler: a
 * PermanentError, so the parent is dead-lettered rather than retried.
 */
export function outboxPublisher(db: Database, parentId: string, source: string, onWrite?: () => void): PublishEvent {
  let position = 0;
  return async (event, data, options) => {
    const id = childEventId(parentId, position++);
    const parsed = event.schema.safeParse(data);
    if (!parsed.success) throw new PermanentError(`ctx.publish(${event.type}): ${z.prettifyError(parsed.error)}`);
    let due: Date | undefined;
    try {
      due = deliveryTime(options);
    } catch (error) {
      throw new PermanentError(`ctx.publish(${event.type}): ${error instanceof z.ZodError ? z.prettifyError(error) : String(error)}`);
    }
    const body = encodeEnvelope({ id, type: event.type, time: new Date().toISOString(), data: parsed.data, source: `/qfn/functions/${source}` }).toString(
      'utf8',
    );
    await db
      .insert(outbox)
      .values({ id, type: event.type, body, headers: injectTraceHeaders({}), source, ...(due ? { deliverAt: due } : {}) })
      .onConflictDoNothing();
    onWrite?.();
    return id;
  };
}
