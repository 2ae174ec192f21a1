import type { ConsumeMessage, GetMessage, Options } from 'amqplib';
import type { DeliveredMessage } from '../delivery';
import type { DeadLetter, OutgoingMessage } from '../types';

/** Headers the runtime writes; everything else on a message is a propagation header. */
export const headerNames = {
  /** The runtime's attempt number; a retry publishes the next one. */
  attempt: 'x-qfn-attempt',
  lastError: 'x-qfn-last-error',
  reason: 'x-qfn-reason',
  attempts: 'x-qfn-attempts',
  deadLetteredAt: 'x-qfn-dead-lettered-at',
} as const;

const maxReasonLength = 4_000;

/** Publish properties of an event as the publisher sends it. */
export function eventProperties(message: OutgoingMessage): Options.Publish {
  return {
    messageId: message.id,
    type: message.type,
    // No headers table at all when there are none: amqplib encodes even an empty one.
    ...(message.headers && Object.keys(message.headers).length > 0 ? { headers: message.headers } : {}),
    mandatory: true,
  };
}

/** What a consumed message carries, as a delivery shows it. */
export function fromAmqpMessage(message: ConsumeMessage): DeliveredMessage {
  const raw = message.properties.headers ?? {};
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) if (typeof value === 'string') headers[key] = value;
  const published = Number(raw[headerNames.attempt] ?? 1);
  // Only the runtime's own retries count as attempts: a redelivery after a crash or a lost
  // connection may never have started. The worker processes redeliveries alone and records their
  // starts, so a message that crashes its consumer is still caught (quorum queues count
  // redeliveries in x-delivery-count; classic queues only flag them).
  const redelivered = message.fields.redelivered || Number(raw['x-delivery-count'] ?? 0) > 0;
  return {
    body: message.content,
    messageId: message.properties.messageId === undefined ? undefined : String(message.properties.messageId),
    headers,
    attempt: Number.isFinite(published) && published >= 1 ? published : 1,
    redelivered,
  };
}

/** The same message sent on again (to a retry queue, the dead-letter exchange, back to its queue) with `extra` headers. */
export function forwardedProperties(message: ConsumeMessage | GetMessage, extra: Record<string, unknown>): Options.Publish {
  return {
    messageId: message.properties.messageId,
    type: message.properties.type,
    headers: { ...withoutBrokerHeaders(message.properties.headers ?? {}), ...extra },
  };
}

export function retryHeaders(attempt: number, reason: string): Record<string, unknown> {
  return { [headerNames.attempt]: attempt + 1, [headerNames.lastError]: reason };
}

export function deadLetterHeaders(reason: string, attempts: number, at = new Date()): Record<string, unknown> {
  return { [headerNames.reason]: reason.slice(0, maxReasonLength), [headerNames.attempts]: attempts, [headerNames.deadLetteredAt]: at.toISOString() };
}

/** A replayed dead letter starts over at attempt 1. */
export const replayHeaders = { [headerNames.attempt]: 1 };

/** Headers the broker or dead-lettering added: dropped when a message is sent on. */
function withoutBrokerHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (key === 'x-death' || key === 'x-delivery-count' || key.startsWith('x-first-death') || key.startsWith('x-last-death')) continue;
    if (key === headerNames.reason || key === headerNames.attempts || key === headerNames.deadLetteredAt) continue;
    kept[key] = value;
  }
  return kept;
}

/** A dead-lettered message as operators see it: the runtime's reason, or the broker's (delivery limit) from x-death. */
export function toDeadLetter(message: {
  content: Buffer;
  fields: { deliveryTag: number };
  properties: { messageId?: unknown; headers?: Record<string, unknown> };
}): DeadLetter {
  const headers = message.properties.headers ?? {};
  const death = Array.isArray(headers['x-death']) ? (headers['x-death'][0] as Record<string, unknown> | undefined) : undefined;
  const reason =
    typeof headers[headerNames.reason] === 'string' ? (headers[headerNames.reason] as string) : `broker: ${String(death?.['reason'] ?? 'unknown')}`;
  const attempts = Number(headers[headerNames.attempts] ?? death?.['count'] ?? 0);
  const at = headers[headerNames.deadLetteredAt];
  return {
    handle: String(message.properties.messageId ?? message.fields.deliveryTag),
    eventId: message.properties.messageId === undefined ? undefined : String(message.properties.messageId),
    reason,
    attempts,
    deadLetteredAt: typeof at === 'string' ? at : undefined,
    body: message.content,
  };
}
