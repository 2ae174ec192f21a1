import { describe, expect, it } from 'vitest';
import { body, generatedBodies, pools, seed } from '@qfn/events/testing';
import { acceptCommonMessage, parsePublishRequest } from './publish-request';
import { publishRequest } from './schemas';

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
