/**
 * Message bodies for tests that hold a fast check to zod's answer: every field's valid and invalid values, one at a
 * time, in seeded random combinations (the publish request's `type` among them) and in odd shapes.
 */
/** Leaves the key out of a generated body. */
export const absent = Symbol('absent');

/** Each field's values: valid and invalid, common and not (`absent` leaves the key out). */
export const pools: Record<string, readonly unknown[]> = {
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
/** The seeds' message. */
export const seed: Record<string, unknown> = {
  ts: '19941114',
  sender: 'haimeng',
  messageAttributes: { publisher: 'seed' },
  sent_from_ip: '10.0.0.1',
  priority: 1,
};

/** A body as the route gets it: through JSON text (plain prototypes; `__proto__` an own key). */
export function body(fields: Record<string, unknown>, extra = ''): unknown {
  const kept = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== absent));
  const text = JSON.stringify(kept);
  return JSON.parse(extra && text !== '{}' ? `${text.slice(0, -1)},${extra}}` : text);
}

/** One field changed at a time, then seeded random combinations of every pool, then odd shapes. */
export function generatedBodies(): unknown[] {
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
