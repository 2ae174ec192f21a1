import type { Database } from '../db/client';
import type { Logger } from '../log/index';
import type { Broker } from '../queue/types';
import type { FunctionWorker } from '../runtime/worker';
import { recordRelayMetrics } from './metrics';
import { OutboxRelay } from './relay';

export interface FunctionRelay {
  /** A handler wrote an outbox row; the relay looks once that message's transaction has committed. */
  written(): void;
  /** Stops the relay after one last drain of this function's rows (what is left, a later relay sends). */
  stop(): Promise<void>;
}

/** The outbox relay of a function's replica: woken after each commit that wrote rows, else polling each second. */
export function startFunctionRelay(options: { worker: FunctionWorker; db: Database; broker: Broker; source: string; log: Logger }): FunctionRelay {
  const relay = new OutboxRelay({ db: options.db, broker: options.broker, source: options.source });
  let pendingWrites = false;
  options.worker.on('message_processed', () => {
    if (!pendingWrites) return;
    pendingWrites = false;
    relay.wake();
  });
  relay.on('paused', ({ error, retryInMs }) => options.log.warn({ err: (error as Error).message, retryInMs }, 'outbox relay paused'));
  relay.on('send_failed', ({ count, reason }) => options.log.warn({ count, reason }, 'outbox rows not sent; tried again after a backoff'));
  recordRelayMetrics(relay, options.source);
  options.worker.once('started', () => relay.start());
  return {
    written: () => {
      pendingWrites = true;
    },
    stop: async () => {
      await relay.stop();
      await relay.drainOnce().catch(() => {});
    },
  };
}
