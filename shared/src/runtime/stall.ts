import type { FunctionWorker } from './worker';

export interface StallWatchOptions {
  /** In-flight work that settles nothing for this long is stalled. */
  timeoutMs: number;
  onStall: (stalledMs: number) => void;
  /** How often to look; default a quarter of the timeout, at most 5 s. */
  checkEveryMs?: number;
  now?: () => number;
}

/**
 * Calls `onStall` once when the worker holds in-flight messages and none has settled (acked, retried,
 * dead-lettered, released) for `timeoutMs`: a wedged handler or database client that would otherwise
 * keep its messages unacknowledged forever while the process looks healthy. Idle is not a stall.
 *
 * @example
 * const watch = watchForStalls(worker, { timeoutMs: 600_000, onStall: () => process.exit(70) });
 * // on shutdown: watch.stop();
 */
export function watchForStalls(worker: FunctionWorker, options: StallWatchOptions): { stop(): void } {
  const now = options.now ?? (() => performance.now());
  let lastProgress = now();
  let fired = false;
  const progress = () => void (lastProgress = now());
  // A wait for an unreachable database is not a stall: the worker is answered, just refused.
  const events = ['message_processed', 'message_retried', 'message_dead_lettered', 'message_released', 'settle_failed', 'database_unavailable'] as const;
  for (const event of events) worker.on(event, progress);
  const timer = setInterval(
    () => {
      if (worker.inFlight === 0) return progress();
      const stalledMs = now() - lastProgress;
      if (!fired && stalledMs >= options.timeoutMs) {
        fired = true;
        options.onStall(stalledMs);
      }
    },
    options.checkEveryMs ?? Math.min(5_000, Math.max(10, options.timeoutMs / 4)),
  );
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      for (const event of events) worker.off(event, progress);
    },
  };
}
