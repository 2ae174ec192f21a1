import { z } from 'zod';

/** Longest delay accepted: a year (the outbox table holds the event until then). */
export const maxDelaySeconds = 365 * 24 * 3600;

export interface DeliveryOptions {
  /** Deliver this many seconds from now (0 to a year). */
  delaySeconds?: number;
  /** Deliver at this time (ISO 8601 with a zone, or a Date); a past time means now. */
  deliverAt?: string | Date;
}

export const deliveryOptionsSchema = z
  .strictObject({
    delaySeconds: z.coerce.number().min(0).max(maxDelaySeconds).optional(),
    deliverAt: z.union([z.iso.datetime({ offset: true }), z.date()]).optional(),
  })
  .refine((o) => o.delaySeconds === undefined || o.deliverAt === undefined, { message: 'give delaySeconds or deliverAt, not both', path: ['deliverAt'] });

/** When an event is due, or undefined for "now". */
export function deliveryTime(options: DeliveryOptions | undefined, now = Date.now()): Date | undefined {
  if (!options) return undefined;
  const checked = deliveryOptionsSchema.parse(options);
  if (checked.delaySeconds !== undefined) return checked.delaySeconds > 0 ? new Date(now + checked.delaySeconds * 1000) : undefined;
  if (checked.deliverAt !== undefined) {
    const at = typeof checked.deliverAt === 'string' ? new Date(checked.deliverAt) : checked.deliverAt;
    return at.getTime() > now ? at : undefined;
  }
  return undefined;
}
