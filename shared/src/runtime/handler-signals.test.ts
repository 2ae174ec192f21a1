import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { HandlerTimeoutError, ShutdownDeadlineError } from './errors';
import { HandlerSignals } from './handler-signals';

describe('HandlerSignals', () => {
  it('resolves with the handler result and leaves its signal alone', async () => {
    const signals = new HandlerSignals(1_000);
    let seen: AbortSignal | undefined;
    expect(await signals.run(async (call) => ((seen = call.signal), 'done'))).toBe('done');
    expect(seen!.aborted).toBe(false);
  });

  it('passes a handler error through', async () => {
    await expect(new HandlerSignals().run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(
      new HandlerSignals().run(() => {
        throw new Error('sync boom');
      }),
    ).rejects.toThrow('sync boom');
  });

  it('rejects with a HandlerTimeoutError once the timeout passes, though the handler ignores its signal', async () => {
    const signals = new HandlerSignals(30);
    let seen: AbortSignal | undefined;
    const call = signals.run(async (handler) => {
      seen = handler.signal;
      await sleep(300);
    });
    await expect(call).rejects.toBeInstanceOf(HandlerTimeoutError);
    await expect(call).rejects.toThrow('handlerTimeoutMs (30 ms)');
    expect(seen!.aborted).toBe(true);
    expect(seen!.reason).toBeInstanceOf(HandlerTimeoutError);
  });

  it('lets a handler that honours its signal stop early', async () => {
    const signals = new HandlerSignals(30);
    let stoppedEarly = false;
    const call = signals.run(async (handler) => {
      await sleep(5_000, undefined, { signal: handler.signal }).catch(() => (stoppedEarly = true));
    });
    await expect(call).rejects.toBeInstanceOf(HandlerTimeoutError);
    await sleep(0);
    expect(stoppedEarly).toBe(true);
  });

  it('aborts every running call, and every later one at once, with the shutdown reason', async () => {
    const signals = new HandlerSignals();
    const seen: AbortSignal[] = [];
    const running = [1, 2].map(() =>
      signals.run(async (call) => {
        seen.push(call.signal);
        await sleep(5_000, undefined, { signal: call.signal });
      }),
    );
    signals.abortAll(new ShutdownDeadlineError(100));
    for (const call of running) await expect(call).rejects.toBeInstanceOf(ShutdownDeadlineError);
    expect(seen.every((signal) => signal.reason instanceof ShutdownDeadlineError)).toBe(true);
    let ran = false;
    await expect(signals.run(async () => void (ran = true))).rejects.toBeInstanceOf(ShutdownDeadlineError);
    expect(ran).toBe(false);
    expect(signals.aborted).toBe(true);
  });

  it('gives a signal first read after the abort already aborted, with the reason', async () => {
    const signals = new HandlerSignals(20);
    let late: AbortSignal | undefined;
    const call = signals.run(async (handler) => {
      await sleep(100);
      late = handler.signal;
    });
    await expect(call).rejects.toBeInstanceOf(HandlerTimeoutError);
    await sleep(150);
    expect(late?.aborted).toBe(true);
    expect(late?.reason).toBeInstanceOf(HandlerTimeoutError);
  });

  it('without a timeout, never aborts a handler on its own', async () => {
    const signals = new HandlerSignals();
    const result = await signals.run(async (call) => {
      await sleep(50);
      return call.signal.aborted;
    });
    expect(result).toBe(false);
  });
});
