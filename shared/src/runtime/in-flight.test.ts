import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { InFlight } from './in-flight';

describe('InFlight', () => {
  it('counts messages until their work settles, rejected or not', async () => {
    const inFlight = new InFlight();
    let finish!: () => void;
    let fail!: (error: Error) => void;
    inFlight.track(new Promise<void>((resolve) => (finish = resolve)), 3);
    const failing = new Promise<void>((_resolve, reject) => (fail = reject));
    failing.catch(() => {});
    inFlight.track(failing);
    expect(inFlight.count).toBe(4);
    finish();
    fail(new Error('handler failed'));
    await sleep(0);
    expect(inFlight.count).toBe(0);
  });

  it('is idle at once when nothing is in flight', async () => {
    expect(await new InFlight().whenIdle(1_000)).toBe(true);
  });

  it('resolves true when the last message settles within the time', async () => {
    const inFlight = new InFlight();
    inFlight.track(sleep(20));
    expect(await inFlight.whenIdle(5_000)).toBe(true);
  });

  it('resolves false when the time runs out first', async () => {
    const inFlight = new InFlight();
    const work = sleep(200);
    inFlight.track(work);
    expect(await inFlight.whenIdle(10)).toBe(false);
    await work;
    expect(inFlight.count).toBe(0);
  });
});
