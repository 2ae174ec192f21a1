import { z } from 'zod';

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
