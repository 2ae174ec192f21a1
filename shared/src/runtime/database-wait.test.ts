import { describe, expect, it } from 'vitest';
import { DatabaseWait, gaveUp } from './database-wait';

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('DatabaseWait', () => {
  it('runs the work again while the database is away, with a doubling pause, and returns its result', async () => {
    const pauses: number[] = [];
    const wait = new DatabaseWait({ stopping: () => false, initialDelayMs: 1, maxDelayMs: 4, onUnavailable: (_error, ms) => pauses.push(ms) });
    let tries = 0;
    const result = await wait.run(async () => {
      if (++tries < 5) throw refused;
      return 'committed';
    });
    expect(result).toBe('committed');
    expect(pauses).toEqual([1, 2, 4, 4]);
  });

  it('throws any other error at once', async () => {
    const wait = new DatabaseWait({ stopping: () => false });
    let tries = 0;
    await expect(
      wait.run(async () => {
        tries++;
        throw new Error('duplicate key');
      }),
    ).rejects.toThrow('duplicate key');
    expect(tries).toBe(1);
  });

  it('finds the connection error in a cause chain (drizzle wraps the driver)', async () => {
    const wait = new DatabaseWait({ stopping: () => false, initialDelayMs: 1 });
    let tries = 0;
    const result = await wait.run(async () => {
      if (++tries === 1) throw new Error('Failed query', { cause: refused });
      return tries;
    });
    expect(result).toBe(2);
  });

  it('gives up once the worker stops: a pause ends at wakeAll, and the next failure returns gaveUp', async () => {
    let stopping = false;
    const wait = new DatabaseWait({ stopping: () => stopping, initialDelayMs: 60_000 });
    let tries = 0;
    const outcome = wait.run(async () => {
      tries++;
      throw refused;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    stopping = true;
    wait.wakeAll();
    expect(await outcome).toBe(gaveUp);
    expect(tries).toBe(2);
  });
});
