import { z } from 'zod';
import { withDirectCheck } from './direct-check';

/** `YYYYMMDD` (as the seeds send it) or an ISO-8601 date or date-time. */
export function isDateString(value: string): boolean {
  // The seeds' own forms, YYYYMMDD and YYYY-MM-DD, checked by arithmetic: building and printing a Date was a
  // quarter of the message's validation (issue 19). Date-times still go through Date.
  if (value.length === 8 || value.length === 10) {
    const dashed = value.length === 10;
    if (dashed && (value[4] !== '-' || value[7] !== '-')) return false;
    const year = digits(value, 0, 4);
    const month = digits(value, dashed ? 5 : 4, 2);
    const day = digits(value, dashed ? 8 : 6, 2);
    return year >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
  }
  if (!/^\d{4}-\d{2}-\d{2}[T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?$/.test(value)) return false;
  const parsed = new Date(value);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value.slice(0, 10);
}

/** The number written by `length` ASCII digits at `start`, or -1 when any of them is not a digit. */
function digits(text: string, start: number, length: number): number {
  let number = 0;
  for (let i = start; i < start + length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    number = number * 10 + digit;
  }
  return number;
}

/** Days of a month of the proleptic Gregorian calendar, as Date counts them. */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
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

/** The message of the seeds' publisher as zod alone checks it (messageEvent is this with the direct check in front). */
export const messageEventByZod = z.strictObject({
  ts: z.string().max(40).refine(isDateString, 'must be a date: YYYYMMDD or ISO 8601'),
  sender: z.string().trim().min(1, 'must not be empty').max(limits.senderLength).refine(withoutNul, noNul),
  messageAttributes: z
    .record(z.string().min(1).max(limits.attributeKeyLength).refine(withoutNul, noNul), z.string().max(limits.attributeValueLength).refine(withoutNul, noNul))
    .refine((m) => Object.keys(m).length <= limits.attributeCount, `must hold at most ${limits.attributeCount} entries`)
    .default({}),
  sent_from_ip: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' }),
  priority: z.int().min(0).max(limits.priorityMax),
});

/** The message of the seeds' publisher: what `POST /message/publish` accepts and consumers receive. */
export const messageEvent = withDirectCheck(messageEventByZod, (value) => commonMessageOf(value));
export type MessageEvent = z.output<typeof messageEventByZod>;

const messageKeys = new Set(['ts', 'sender', 'messageAttributes', 'sent_from_ip', 'priority']);
const noKeys: ReadonlySet<string> = new Set();
const requiredKeys = 4; // ts, sender, sent_from_ip, priority
const ipv4 = z.regexes.ipv4;

/**
 * The message as zod would output it, when it is certainly valid and of the common kind (a `YYYYMMDD` or `YYYY-MM-DD`
 * date, an IPv4 address, attributes without odd keys); undefined means "ask zod", never "invalid". `otherKeys` are
 * keys the caller checks itself (left out of the result), e.g. the publish request's `type`.
 *
 * @example
 * const message = commonMessageOf(body, new Set(['type'])); // a request that may also name its event type
 */
export function commonMessageOf(body: unknown, otherKeys = noKeys): MessageEvent | undefined {
  if (typeof body !== 'object' || body === null || Object.getPrototypeOf(body) !== Object.prototype) return undefined;
  const value = body as Record<string, unknown>;
  let required = 0;
  for (const key in value) {
    if (messageKeys.has(key)) {
      if (key !== 'messageAttributes') required++;
    } else if (!otherKeys.has(key)) return undefined;
  }
  if (required !== requiredKeys) return undefined;
  const { ts, sender, messageAttributes, sent_from_ip: ip, priority } = value;
  if (typeof ts !== 'string' || (ts.length !== 8 && ts.length !== 10) || !isDateString(ts)) return undefined;
  if (typeof sender !== 'string') return undefined;
  const trimmed = sender.trim();
  if (trimmed.length < 1 || trimmed.length > limits.senderLength || trimmed.includes('\u0000')) return undefined;
  const attributes = messageAttributes === undefined ? {} : commonAttributes(messageAttributes);
  if (!attributes) return undefined;
  if (typeof ip !== 'string' || !ipv4.test(ip)) return undefined;
  if (!Number.isSafeInteger(priority) || (priority as number) < 0 || (priority as number) > limits.priorityMax) return undefined;
  return { ts, sender: trimmed, messageAttributes: attributes, sent_from_ip: ip, priority: priority as number };
}

/** A copy of the attributes when every entry is certainly valid, else undefined. */
function commonAttributes(attributes: unknown): Record<string, string> | undefined {
  if (typeof attributes !== 'object' || attributes === null || Object.getPrototypeOf(attributes) !== Object.prototype) return undefined;
  const copy: Record<string, string> = {};
  let count = 0;
  for (const key in attributes) {
    const entry = (attributes as Record<string, unknown>)[key];
    if (++count > limits.attributeCount) return undefined;
    if (key.length < 1 || key.length > limits.attributeKeyLength || key === '__proto__' || key.includes('\u0000')) return undefined;
    if (typeof entry !== 'string' || entry.length > limits.attributeValueLength || entry.includes('\u0000')) return undefined;
    copy[key] = entry;
  }
  return copy;
}

/** The type `POST /message/publish` gives a message when its body names none. */
export const defaultEventType = 'message.published';
