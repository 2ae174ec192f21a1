import { describe, expect, it } from 'vitest';
import { AckBatcher } from './ack-batcher';

/** A batcher that records the acks it sends, with deliveries 1 to `tracked` tracked in order. */
function recorder(tracked = 0) {
  const sent: string[] = [];
  const batcher = new AckBatcher((tag, allUpTo) => sent.push(allUpTo ? `≤${tag}` : `${tag}`));
  for (let tag = 1; tag <= tracked; tag++) batcher.track(tag);
  return { sent, batcher };
}
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('AckBatcher', () => {
  it('acks a settled run of deliveries with one allUpTo ack at the end of the turn', async () => {
    const { sent, batcher } = recorder(100);
    for (let tag = 100; tag >= 1; tag--) batcher.ack(tag);
    expect(sent).toEqual([]);
    await turn();
    expect(sent).toEqual(['≤100']);
  });

  it('never covers a delivery still in progress: later acks go one by one in the same turn', async () => {
    const { sent, batcher } = recorder(5);
    for (const tag of [1, 2, 4, 5]) batcher.ack(tag);
    await turn();
    expect(sent).toEqual(['≤2', '4', '5']);
    batcher.ack(3);
    await turn();
    // 4 and 5 are gone at the broker already; allUpTo 3 is exactly right again.
    expect(sent).toEqual(['≤2', '4', '5', '≤3']);
  });

  it('steps over deliveries settled otherwise (nacked) without acking them', async () => {
    const { sent, batcher } = recorder(4);
    batcher.settledElsewhere(2);
    batcher.ack(1);
    batcher.ack(3);
    await turn();
    expect(sent).toEqual(['≤3']);
    batcher.settledElsewhere(4);
    batcher.flush();
    expect(sent).toEqual(['≤3']);
  });

  it('ignores a second ack, and flush sends at once', () => {
    const { sent, batcher } = recorder();
    batcher.track(7);
    batcher.ack(7);
    batcher.ack(7);
    batcher.flush();
    batcher.flush();
    expect(sent).toEqual(['≤7']);
  });

  it('keeps working over many turns with a bounded backlog', async () => {
    const { sent, batcher } = recorder();
    let next = 1;
    for (let round = 0; round < 50; round++) {
      const tags = Array.from({ length: 100 }, () => next++);
      for (const tag of tags) batcher.track(tag);
      for (const tag of tags) batcher.ack(tag);
      await turn();
    }
    expect(sent).toHaveLength(50);
    expect(sent.at(-1)).toBe(`≤${next - 1}`);
  });
});
