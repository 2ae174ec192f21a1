import { defaultEventType, messageEvent } from '@qfn/events';
import { eventType } from '@qfn/shared/platform';
import { z } from 'zod';

/** Body of `POST /message/publish`: the seeds' message plus an optional event type. */
export const publishRequest = messageEvent.extend({
  type: eventType.optional().describe(`Event type (routing key); default ${defaultEventType}`),
});
export type PublishRequest = z.output<typeof publishRequest>;

export const publishAccepted = z.object({ id: z.string().describe('Event id (UUIDv7)') });

export const idempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

export const storedMessage = z.object({
  id: z.string(),
  type: z.string(),
  ts: z.string(),
  sender: z.string(),
  messageAttributes: z.record(z.string(), z.string()),
  sent_from_ip: z.string(),
  priority: z.number().int(),
  acceptedAt: z.string(),
  storedAt: z.string(),
  processedBy: z.array(z.string()).describe('Functions whose effect for this event has committed'),
});

const withoutNul = (value: string) => !value.includes('\u0000');

export const listQuery = z.strictObject({
  sender: z.string().min(1).max(256).refine(withoutNul, 'must not contain U+0000').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(64).refine(withoutNul, 'must not contain U+0000').optional().describe('nextCursor of the previous page'),
});

export const messagePage = z.object({ items: z.array(storedMessage.omit({ processedBy: true })), nextCursor: z.string().nullable() });

export const errorBody = z.object({
  error: z.string(),
  message: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
