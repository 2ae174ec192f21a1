import { z } from 'zod';

/** `YYYYMMDD` (as the seeds send it) or an ISO-8601 date or date-time. */
function isDateString(value: string): boolean {
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  const iso = compact ? `${compact[1]}-${compact[2]}-${compact[3]}` : value;
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(iso)) return false;
  const parsed = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === iso.slice(0, 10);
}

export const limits = {
  senderLength: 256,
  attributeCount: 64,
  attributeKeyLength: 128,
  attributeValueLength: 4096,
  priorityMax: 10,
} as const;

/** Postgres text and jsonb cannot hold U+0000: a message carrying one could be accepted but never stored. */
const withoutNul = (value: string) => !value.includes('\u0000');
const noNul = 'must not contain U+0000';

/** The message of the seeds' publisher: what `POST /message/publish` accepts and consumers receive. */
export const messageEvent = z.strictObject({
  ts: z.string().max(40).refine(isDateString, 'must be a date: YYYYMMDD or ISO 8601'),
  sender: z.string().trim().min(1, 'must not be empty').max(limits.senderLength).refine(withoutNul, noNul),
  messageAttributes: z
    .record(z.string().min(1).max(limits.attributeKeyLength).refine(withoutNul, noNul), z.string().max(limits.attributeValueLength).refine(withoutNul, noNul))
    .refine((m) => Object.keys(m).length <= limits.attributeCount, `must hold at most ${limits.attributeCount} entries`)
    .default({}),
  sent_from_ip: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' }),
  priority: z.int().min(0).max(limits.priorityMax),
});
export type MessageEvent = z.output<typeof messageEvent>;

/** The type `POST /message/publish` gives a message when its body names none. */
export const defaultEventType = 'message.published';
