import { describe, expect, it } from 'vitest';
import { commonMessageOf, isDateString, messageEvent, messageEventByZod } from './message';
import { generatedBodies } from './testing/message-bodies';

const valid = { ts: '19941114', sender: 'haimeng', messageAttributes: { a: 'b' }, sent_from_ip: '0.0.0.0', priority: 1 };

describe('messageEvent', () => {
  it("accepts the seeds' message", () => {
    expect(messageEvent.parse(valid)).toEqual(valid);
  });

  it.each(['2024-02-29', '2024-02-29T10:00:00Z', '2024-02-29T10:00:00.123+02:00'])('accepts the date %s', (ts) => {
    expect(messageEvent.safeParse({ ...valid, ts }).success).toBe(true);
  });

  it.each(['19941332', '2023-02-29', 'yesterday', ''])('rejects the date %j', (ts) => {
    expect(messageEvent.safeParse({ ...valid, ts }).success).toBe(false);
  });

  it('rejects unknown fields, bad addresses and out-of-range priorities', () => {
    const result = messageEvent.safeParse({ ...valid, extra: 1, sent_from_ip: '300.1.1.1', priority: 11 });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.') || i.code);
    expect(paths).toEqual(expect.arrayContaining(['sent_from_ip', 'priority', 'unrecognized_keys']));
  });

  it('rejects U+0000 anywhere Postgres would refuse to store it', () => {
    for (const bad of [{ sender: 'a\u0000b' }, { messageAttributes: { 'k\u0000': 'v' } }, { messageAttributes: { k: '\u0000' } }]) {
      expect(messageEvent.safeParse({ ...valid, ...bad }).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('rejects a blank sender', () => {
    expect(messageEvent.safeParse({ ...valid, sender: '   ' }).success).toBe(false);
  });
});

describe('isDateString', () => {
  /** The check as it was before its arithmetic fast path (a Date built and printed for every value). */
  function throughDate(value: string): boolean {
    const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
    const iso = compact ? `${compact[1]}-${compact[2]}-${compact[3]}` : value;
    if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(iso)) return false;
    const parsed = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
    return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === iso.slice(0, 10);
  }

  it('agrees with building a Date on every day, month and leap case of the forms the seeds send', () => {
    const years = [0, 1, 4, 100, 400, 1900, 1994, 2000, 2023, 2024, 2100, 9999];
    let checked = 0;
    for (const year of years)
      for (let month = 0; month <= 13; month++)
        for (let day = 0; day <= 32; day++) {
          const [y, m, d] = [String(year).padStart(4, '0'), String(month).padStart(2, '0'), String(day).padStart(2, '0')];
          for (const value of [`${y}${m}${d}`, `${y}-${m}-${d}`]) {
            expect(isDateString(value), value).toBe(throughDate(value));
            checked++;
          }
        }
    expect(checked).toBe(years.length * 14 * 33 * 2);
  });

  it.each([
    '1994111a',
    '1994-11-1a',
    '1994/11/14',
    '199411-14',
    '+1994111',
    '1994-1114',
    '  1994111',
    '2024-02-29T24:00:00Z',
    '2024-13-01T00:00:00Z',
    '20241301',
    '2024-02-29T10:00:00.123+02:00',
    '2024-02-29 10:00',
  ])('agrees with building a Date on %j', (value) => {
    expect(isDateString(value)).toBe(throughDate(value));
  });
});

describe('messageEvent with its direct check', () => {
  const bodies = generatedBodies();

  it('answers every generated body as zod alone does: the same success, data (key order too) and issues', () => {
    let direct = 0;
    let valid = 0;
    for (const candidate of bodies) {
      const fast = messageEvent.safeParse(candidate);
      const slow = messageEventByZod.safeParse(candidate);
      if (slow.success) valid++;
      expect(fast.success, JSON.stringify(candidate)).toBe(slow.success);
      if (fast.success && slow.success) {
        expect(JSON.stringify(fast.data)).toBe(JSON.stringify(slow.data));
        expect(fast.data).toStrictEqual(slow.data);
      } else {
        expect(fast.error?.issues).toEqual(slow.error?.issues);
      }
      if (commonMessageOf(candidate) !== undefined) direct++;
    }
    // The rest of the valid ones carry a date-time or an IPv6 address: zod's.
    expect(valid).toBeGreaterThan(50);
    expect(direct).toBeGreaterThan(valid / 2);
  });

  it('parse throws what zod throws, and returns what zod returns', () => {
    for (const candidate of bodies.slice(0, 300)) {
      const slow = messageEventByZod.safeParse(candidate);
      if (slow.success) expect(messageEvent.parse(candidate)).toStrictEqual(slow.data);
      else expect(() => messageEvent.parse(candidate)).toThrow(slow.error.message);
    }
  });

  it('leaves derived schemas to zod, unchanged', () => {
    const extended = messageEvent.extend({ extra: messageEvent.shape.priority.optional() });
    const candidate = { ts: '19941114', sender: 'a', sent_from_ip: '10.0.0.1', priority: 1, extra: 2 };
    expect(extended.parse(candidate)).toEqual({ ...candidate, messageAttributes: {} });
    expect(messageEvent.safeParse(candidate).success).toBe(false);
  });
});
