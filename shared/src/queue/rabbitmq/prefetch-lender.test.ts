import { describe, expect, it } from 'vitest';
import { PrefetchLender } from './prefetch-lender';

describe('PrefetchLender', () => {
  it('adds a consumer per step of held deliveries, up to the cap, and cancels them all once none is held', async () => {
    const added: number[] = [];
    const cancelled: string[] = [];
    const lender = new PrefetchLender(
      5,
      10,
      async (prefetch) => `c${added.push(prefetch)}`,
      async (tag) => void cancelled.push(tag),
    );
    lender.hold();
    expect(added).toEqual([5]);
    for (let i = 0; i < 4; i++) lender.hold();
    expect(added).toEqual([5]);
    lender.hold();
    expect(added).toEqual([5, 5]);
    for (let i = 0; i < 10; i++) lender.hold();
    expect(lender.lent).toBe(10);
    for (let i = 0; i < 15; i++) lender.release();
    lender.release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lender.lent).toBe(0);
    expect(cancelled.sort()).toEqual(['c1', 'c2']);
  });
});
