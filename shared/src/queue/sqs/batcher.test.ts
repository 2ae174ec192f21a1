import { describe, expect, it } from 'vitest';
import { Batcher, type EntryFailure } from './batcher';

describe('Batcher', () => {
  it('collects what arrives in one turn into calls of at most ten entries per key', async () => {
    const calls: { key: string; values: number[] }[] = [];
    const batcher = new Batcher<number>({
      send: async (key, entries) => {
        calls.push({ key, values: entries.map((e) => e.value) });
        return { failed: [] };
      },
    });
    await Promise.all([...Array.from({ length: 12 }, (_, i) => batcher.add('a', i)), batcher.add('b', 99)]);
    expect(calls).toEqual([
      { key: 'a', values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
      { key: 'a', values: [10, 11] },
      { key: 'b', values: [99] },
    ]);
  });

  it('retries entries that failed through no fault of the sender, and rejects only the ones that keep failing', async () => {
    let call = 0;
    const batcher = new Batcher<string>({
      retries: 2,
      retryDelayMs: 1,
      send: async (_key, entries) => {
        call++;
        const failed: EntryFailure[] = [];
        for (const { id, value } of entries) {
          if (value === 'flaky' && call === 1) failed.push({ id, error: new Error('InternalError'), retryable: true });
          if (value === 'bad') failed.push({ id, error: new Error('InvalidMessageContents'), retryable: false });
        }
        return { failed };
      },
    });
    const outcomes = await Promise.allSettled([batcher.add('q', 'ok'), batcher.add('q', 'flaky'), batcher.add('q', 'bad')]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((outcomes[2] as PromiseRejectedResult).reason.message).toBe('InvalidMessageContents');
  });

  it('rejects every entry of a call that failed as a whole', async () => {
    const batcher = new Batcher<number>({
      send: async () => {
        throw new Error('connect ECONNREFUSED');
      },
    });
    const outcomes = await Promise.allSettled([batcher.add('q', 1), batcher.add('q', 2)]);
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
  });

  it('keeps a call within its byte budget', async () => {
    const sizes: number[] = [];
    const batcher = new Batcher<string>({
      maxBytes: 10,
      sizeOf: (value) => value.length,
      send: async (_key, entries) => {
        sizes.push(entries.reduce((sum, e) => sum + e.value.length, 0));
        return { failed: [] };
      },
    });
    await Promise.all(['aaaa', 'bbbb', 'cccc', 'dd'].map((v) => batcher.add('q', v)));
    expect(sizes.every((size) => size <= 10)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(14);
  });
});
