import { describe, expect, it } from 'vitest';
import { messageEvent } from './message';

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
