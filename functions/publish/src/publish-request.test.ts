import { describe, expect, it } from 'vitest';
import { acceptCommonMessage, parsePublishRequest } from './publish-request';
import { publishRequest } from './schemas';

const absent = Symbol('absent');
type Pool = readonly unknown[];

/** Each field's values: valid and invalid, common and not (`absent` leaves the key out). */
const pools: Record<string, Pool> = {
  ts: [
    '19941114',
    '2024-02-29',
    '2023-12-31',
    '00000101',
    '2023-02-29',
    '19941314',
    '1994111',
    '',
    19941114,
    '2024-01-01T10:00:00Z',
    'x'.repeat(41),
    '2024-1-01',
    null,
    absent,
  ],
  sender: ['haimeng', '  padded  ', 'x'.repeat(256), ` ${'x'.repeat(256)} `, 'x'.repeat(257), '', '   ', 'a\u0000b', 42, '\t\n x \n', absent],
  messageAttributes: [
    absent,
    {},
    { publisher: 'seed' },
    Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, 'v'])),
    Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])),
    { '': 'v' },
    { ['k'.repeat(128)]: 'v' },
    { ['k'.repeat(129)]: 'v' },
    { k: 'v'.repeat(4096) },
    { k: 'v'.repeat(4097) },
    { k: 1 },
    { k: 'a\u0000' },
    { 'a\u0000': 'v' },
    [],
    ['v'],
    null,
    'publisher=seed',
  ],
  sent_from_ip: ['10.0.0.1', '255.255.255.255', '256.1.1.1', '01.2.3.4', '::1', '2001:db8::1', 'fe80::1%eth0', '1.2.3', '', 10001, ' 10.0.0.1', absent],
  priority: [0, 1, 10, 11, -1, 1.5, '1', 1e21, null, absent],
  type: [absent, 'message.published', 'order.created', 'Message.Published', 'nodot', `a.${'b'.repeat(200)}`, 5, ''],
};
const seed: Record<string, unknown> = { ts: '19941114', sender: 'haimeng', messageAttributes: { publisher: 'seed' }, sent_from_ip: '10.0.0.1', priority: 1 };

/** A body as the route gets it: through JSON text (plain prototypes; `__proto__` an own key). */
function body(fields: Record<string, unknown>, extra = ''): unknown {
  const kept = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== absent));
  const text = JSON.stringify(kept);
  return JSON.parse(extra && text !== '{}' ? `${text.slice(0, -1)},${extra}}` : text);
}

/** One field changed at a time, then seeded random combinations of every pool, then odd shapes. */
function generatedBodies(): unknown[] {
  const bodies: unknown[] = [];
  for (const [field, pool] of Object.entries(pools)) for (const value of pool) bodies.push(body({ ...seed, [field]: value }));
  let state = 19;
  const next = (n: number) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % n;
  };
  for (let i = 0; i < 3000; i++) bodies.push(body(Object.fromEntries(Object.entries(pools).map(([field, pool]) => [field, pool[next(pool.length)]]))));
  bodies.push(
    body(seed, '"extra":1'),
    body(seed, '"__proto__":{"priority":1}'),
    body({ ...seed, messageAttributes: absent }, '"messageAttributes":{"__proto__":"x"}'),
    JSON.parse('{"__proto__":{}}'),
    [],
    [seed],
    null,
    'message',
    1,
    Object.create(null),
  );
  return bodies;
}

describe('parsePublishRequest', () => {
  const bodies = generatedBodies();

  it('answers every generated body as zod does: the same success, data (key order too) and issues', () => {
    for (const candidate of bodies) {
      const fast = parsePublishRequest(candidate);
      const slow = publishRequest.safeParse(candidate);
      expect(fast.success, JSON.stringify(candidate)).toBe(slow.success);
      if (fast.success && slow.success) {
        expect(fast.data).toStrictEqual(slow.data);
        expect(JSON.stringify(fast.data)).toBe(JSON.stringify(slow.data));
      } else {
        expect(fast.error?.issues).toEqual(slow.error?.issues);
      }
    }
  });

  it('takes the direct path only for bodies zod accepts, and for the common ones among them', () => {
    let direct = 0;
    let valid = 0;
    for (const candidate of bodies) {
      const accepted = acceptCommonMessage(candidate);
      const slow = publishRequest.safeParse(candidate);
      if (slow.success) valid++;
      if (accepted === undefined) continue;
      direct++;
      expect(slow.success, JSON.stringify(candidate)).toBe(true);
      expect(accepted).toStrictEqual(slow.data);
    }
    // The seed and its one-field variants are common: the direct path must take every valid one of them.
    for (const [field, pool] of Object.entries(pools)) {
      for (const value of pool) {
        const candidate = body({ ...seed, [field]: value });
        const uncommon = (field === 'ts' && value === '2024-01-01T10:00:00Z') || (field === 'sent_from_ip' && typeof value === 'string' && value.includes(':'));
        if (publishRequest.safeParse(candidate).success && !uncommon) expect(acceptCommonMessage(candidate), JSON.stringify(candidate)).toBeDefined();
      }
    }
    expect(valid).toBeGreaterThan(50);
    expect(direct).toBeGreaterThan(valid / 2);
  });

  it('does not share the attributes object with the body', () => {
    const candidate = body(seed) as { messageAttributes: Record<string, string> };
    const accepted = acceptCommonMessage(candidate)!;
    candidate.messageAttributes['publisher'] = 'changed';
    expect(accepted.messageAttributes).toEqual({ publisher: 'seed' });
  });
});
