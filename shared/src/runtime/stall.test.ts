import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FunctionWorker } from './worker';
import { watchForStalls } from './stall';

/** The part of a worker the watch reads: its in-flight count and its settlement events. */
function fakeWorker() {
  const worker = Object.assign(new EventEmitter(), { inFlight: 0 });
  return worker as typeof worker & FunctionWorker;
}

/** A fake worker under a watch with a 1 s timeout, checked every 100 ms, on fake timers. */
function watchedWorker() {
  vi.useFakeTimers();
  const worker = fakeWorker();
  const onStall = vi.fn();
  const watch = watchForStalls(worker, { timeoutMs: 1_000, checkEveryMs: 100, onStall, now: () => Date.now() });
  return { worker, onStall, watch };
}

describe('watchForStalls', () => {
  afterEach(() => vi.useRealTimers());

  it('fires once when in-flight work settles nothing for the timeout', () => {
    const { worker, onStall } = watchedWorker();
    worker.inFlight = 3;
    vi.advanceTimersByTime(900);
    expect(onStall).not.toHaveBeenCalled();
    vi.advanceTimersByTime(300);
    expect(onStall).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(5_000);
    expect(onStall).toHaveBeenCalledTimes(1);
  });

  it('counts every settlement as progress', () => {
    const { worker, onStall } = watchedWorker();
    worker.inFlight = 1;
    for (const event of ['message_processed', 'message_retried', 'message_dead_lettered', 'message_released', 'settle_failed']) {
      vi.advanceTimersByTime(800);
      worker.emit(event, {});
    }
    expect(onStall).not.toHaveBeenCalled();
  });

  it('does not call an idle worker stalled, and stops watching when asked', () => {
    const { worker, onStall, watch } = watchedWorker();
    vi.advanceTimersByTime(10_000);
    expect(onStall).not.toHaveBeenCalled();
    watch.stop();
    worker.inFlight = 1;
    vi.advanceTimersByTime(10_000);
    expect(onStall).not.toHaveBeenCalled();
    expect(worker.listenerCount('message_processed')).toBe(0);
  });
});
