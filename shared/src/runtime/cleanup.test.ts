import { describe, expect, it } from 'vitest';
import { CleanupError, runCleanup } from './cleanup';

describe('runCleanup', () => {
  it('runs every step in order', async () => {
    const ran: string[] = [];
    await runCleanup(['a', 'b', 'c'].map((name) => ({ name, run: async () => void ran.push(name) })));
    expect(ran).toEqual(['a', 'b', 'c']);
  });

  it('runs the steps after a failing one, reports each failure as it happens, then throws them together', async () => {
    const ran: string[] = [];
    const reported: string[] = [];
    const closeFailed = new Error('channel closed');
    const result = runCleanup(
      [
        { name: 'worker.stop', run: async () => void ran.push('worker.stop') },
        { name: 'broker.close', run: async () => Promise.reject(closeFailed) },
        { name: 'database.close', run: async () => void ran.push('database.close') },
        {
          name: 'health.close',
          run: () => {
            throw new TypeError('not running');
          },
        },
        { name: 'telemetry.shutdown', run: async () => void ran.push('telemetry.shutdown') },
      ],
      (step) => reported.push(step),
    );
    const error = await result.catch((thrown: unknown) => thrown);
    expect(ran).toEqual(['worker.stop', 'database.close', 'telemetry.shutdown']);
    expect(reported).toEqual(['broker.close', 'health.close']);
    expect(error).toBeInstanceOf(CleanupError);
    expect(error).toBeInstanceOf(AggregateError);
    const cleanup = error as CleanupError;
    expect(cleanup.errors).toEqual([closeFailed, expect.any(TypeError)]);
    expect(cleanup.failures.map((failure) => failure.step)).toEqual(['broker.close', 'health.close']);
    expect(cleanup.message).toBe('2 of 5 shutdown steps failed: broker.close (Error: channel closed); health.close (TypeError: not running)');
  });
});
