import { describe, expect, it } from 'vitest';
import { messageEvent } from './event';
import { decodeEnvelope, encodeEnvelope, uuidv7 } from './envelope';

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

describe('envelope', () => {
  it('round-trips', () => {
    const envelope = { id: uuidv7(), type: 'message.published', time: new Date().toISOString(), data: valid };
    expect(decodeEnvelope(encodeEnvelope(envelope))).toEqual(envelope);
  });

  it('makes time-ordered version-7 ids', () => {
    const a = uuidv7(1_000);
    const b = uuidv7(2_000);
    expect(a < b).toBe(true);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('says why a body is not an envelope', () => {
    expect(() => decodeEnvelope('nope')).toThrowError(/not JSON/);
    expect(() => decodeEnvelope('{"id":1}')).toThrowError(/not an event envelope/);
  });
});

describe('uuidv7 ids', () => {
  it('are distinct across many draws from the random pool', () => {
    const ids = new Set(Array.from({ length: 5_000 }, () => uuidv7(1_700_000_000_000)));
    expect(ids.size).toBe(5_000);
  });
});

describe('decodeEnvelope', () => {
  const envelope = { id: uuidv7(), type: 'message.published', time: new Date().toISOString(), data: {} };

  it('accepts what the publish function writes', () => {
    expect(decodeEnvelope(encodeEnvelope(envelope))).toEqual(envelope);
    expect(decodeEnvelope(encodeEnvelope({ ...envelope, time: '2024-02-29T10:00:00+02:00' })).time).toBe('2024-02-29T10:00:00+02:00');
  });

  it.each([
    ['a time that is not a date-time', { time: 'yesterday' }],
    ['a bare date', { time: '2024-02-29' }],
    ['an impossible date', { time: '2023-02-30T00:00:00Z' }],
    ['U+0000 in the id', { id: 'abc\u0000def' }],
    ['a control character in the type', { type: 'message\npublished' }],
  ])('rejects %s', (_what, change) => {
    expect(() => decodeEnvelope(encodeEnvelope({ ...envelope, ...change }))).toThrow(/not an event envelope/);
  });
});
