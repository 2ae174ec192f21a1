import { describe, expect, it } from 'vitest';
import { BatchCollector } from './batch-collector';

function collector(batchSize: number, lingerMs: number) {
  const clock = { now: 0 };
  return { clock, collector: new BatchCollector<number>({ batchSize, lingerMs, now: () => clock.now }) };
}

describe('BatchCollector', () => {
  it('takes a full batch at once, even while other batches run', () => {
    const { collector: c } = collector(3, 1_000);
    for (const n of [1, 2, 3, 4]) c.add(n);
    expect(c.next(5)).toEqual({ take: [1, 2, 3] });
    expect(c.size).toBe(1);
  });

  it('lets a partial batch linger for more while idle, then takes it once the linger time has passed', () => {
    const { clock, collector: c } = collector(10, 20);
    c.add(1);
    clock.now = 5;
    c.add(2);
    expect(c.next(0)).toEqual({ lingerMs: 15 });
    clock.now = 20;
    expect(c.next(0)).toEqual({ take: [1, 2] });
    expect(c.next(0)).toBeUndefined();
  });

  it('takes a partial batch at once when the linger time is 0', () => {
    const { collector: c } = collector(10, 0);
    c.add(1);
    expect(c.next(0)).toEqual({ take: [1] });
  });

  it('keeps a partial batch waiting while a batch runs, whatever its age', () => {
    const { clock, collector: c } = collector(10, 20);
    c.add(1);
    clock.now = 1_000;
    expect(c.next(1)).toBeUndefined();
    expect(c.next(0)).toEqual({ take: [1] });
  });

  it('restarts the linger time for what is left after a batch was taken', () => {
    const { clock, collector: c } = collector(2, 20);
    for (const n of [1, 2, 3]) c.add(n);
    clock.now = 100;
    expect(c.next(0)).toEqual({ take: [1, 2] });
    clock.now = 110;
    expect(c.next(0)).toEqual({ lingerMs: 10 });
    clock.now = 120;
    expect(c.next(0)).toEqual({ take: [3] });
  });

  it('the linger time of a new partial batch counts from its first item', () => {
    const { clock, collector: c } = collector(5, 20);
    clock.now = 50;
    c.add(1);
    clock.now = 60;
    expect(c.next(0)).toEqual({ lingerMs: 10 });
  });

  it('drains everything waiting', () => {
    const { collector: c } = collector(5, 20);
    c.add(1);
    c.add(2);
    expect(c.drain()).toEqual([1, 2]);
    expect(c.size).toBe(0);
    expect(c.next(0)).toBeUndefined();
  });
});
