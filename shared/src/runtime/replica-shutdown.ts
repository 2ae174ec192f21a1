import type { Server } from 'node:http';
import type { DatabaseHandle } from '../db/client';
import type { Logger } from '../log/index';
import type { FunctionRelay } from '../outbox/replica';
import type { Broker } from '../queue/types';
import { runCleanup } from './cleanup';
import { describeError } from './errors';
import type { FunctionWorker, StopResult } from './worker';

/** What a function's replica holds open, each closed by its shutdown. */
export interface ReplicaParts {
  worker: FunctionWorker;
  relay: FunctionRelay;
  broker: Pick<Broker, 'close'>;
  database: Pick<DatabaseHandle, 'close'>;
  health?: Pick<Server, 'close'> | undefined;
  telemetry: { shutdown(): Promise<void> };
  stallWatch?: { stop(): void } | undefined;
  /** The function's own resources (RunFunctionOptions.onStopped), closed right after the worker stopped. */
  onStopped?: (() => Promise<void> | void) | undefined;
  log: Logger;
}

/**
 * The SIGTERM sequence of a replica: drain the worker within the grace period, stop the outbox relay,
 * close the broker, the database pool, the health server and telemetry. Every step runs even when
 * one fails; each failure is logged, and all of them are thrown together (a CleanupError) at the end.
 */
export async function stopReplica(parts: ReplicaParts, options: { timeoutMs: number }): Promise<StopResult> {
  const { worker, relay, broker, database, health, telemetry, stallWatch, onStopped, log } = parts;
  let drained = false;
  let relayStopped: Promise<void> | undefined;
  await runCleanup(
    [
      { name: 'worker.stop', run: async () => ({ drained } = await worker.stop({ timeoutMs: options.timeoutMs })) },
      ...(onStopped ? [{ name: 'onStopped', run: async () => await onStopped() }] : []),
      {
        // Not drained, the relay's next transaction may wait for a pool connection behind the handlers
        // still running: it ends with the pool below instead of holding the exit past the grace period.
        name: 'relay.stop',
        run: async () => {
          relayStopped = relay.stop();
          if (drained) await relayStopped;
          else relayStopped.catch(() => {});
        },
      },
      { name: 'stallWatch.stop', run: () => stallWatch?.stop() },
      { name: 'broker.close', run: () => broker.close() },
      // Handlers still running hold open transactions: a graceful end() would wait for them past the
      // grace period. End them now instead; they roll back, and their messages went back with the broker connection.
      { name: 'database.close', run: () => database.close(drained ? 5 : 0) },
      { name: 'relay.stop (after the pool closed)', run: () => relayStopped?.catch(() => {}) },
      { name: 'health.close', run: () => void health?.close() },
      { name: 'telemetry.shutdown', run: () => telemetry.shutdown() },
    ],
    (step, error) => log.error({ step, err: describeError(error) }, 'shutdown step failed; the next steps run still'),
  );
  log.info({ drained }, 'stopped');
  return { drained };
}
