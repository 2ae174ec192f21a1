import type { Database } from '../db/client';
import { outbox } from '../db/schema';
import { encodeEnvelope } from '../messages/envelope';

export interface ScheduledEvent {
  id: string;
  type: string;
  /** Validated data. */
  data: unknown;
  deliverAt: Date;
  /** Who wrote it; the relay of that source sends it (the publish function: `publish`). */
  source: string;
  headers?: Record<string, string>;
}

/**
 * Keeps an event in Postgres until `deliverAt`; a relay publishes it then. Serves both brokers, any
 * delay (SQS's own DelaySeconds stops at 15 minutes, RabbitMQ has none without a plugin), survives a
 * restart of everything, and a function at zero replicas is not woken before its events are due.
 */
export async function scheduleEvent(db: Database, event: ScheduledEvent): Promise<void> {
  const body = encodeEnvelope({ id: event.id, type: event.type, time: new Date().toISOString(), data: event.data }).toString('utf8');
  await db
    .insert(outbox)
    .values({ id: event.id, type: event.type, body, headers: event.headers ?? {}, source: event.source, deliverAt: event.deliverAt })
    .onConflictDoNothing();
}
