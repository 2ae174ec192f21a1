import { z } from 'zod';
import { commonConfig, loadConfig } from '../config/index';
import { createDatabase } from '../db/client';
import type { FunctionDeclaration } from '../function/define';
import { createLogger, type Logger } from '../log/index';
import { createBroker } from '../queue/create';
import { startProcessTelemetry } from '../telemetry/process';
import type { Broker } from '../queue/types';
import { describeError } from './errors';
import { brokerHealthSettings, startHealthServer, watchBrokerConnection } from './health';
import { onShutdownSignal } from './shutdown';
import { watchForStalls } from './stall';
import { FunctionWorker } from './worker';
import { startFunctionRelay } from '../outbox/replica';
import { inFlightReportSettings, reportInFlight } from './in-flight-report';
import { stopReplica } from './replica-shutdown';

export const functionConfig = commonConfig.extend({
  /** Port of /healthz and /readyz; 0 turns them off. */
  HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Overrides the declaration's concurrency for this replica. */
  FUNCTION_CONCURRENCY: z.coerce.number().int().positive().max(1000).optional(),
  /** Overrides the declaration's drain time after SIGTERM. */
  SHUTDOWN_GRACE_PERIOD_SECONDS: z.coerce.number().positive().max(3600).optional(),
  /** Exit (to be replaced) when in-flight messages settle nothing for this long: a wedged handler or driver; 0 turns it off. */
  STALL_TIMEOUT_SECONDS: z.coerce.number().int().min(0).max(86_400).default(600),
  ...brokerHealthSettings,
  ...inFlightReportSettings,
});

/** Subscribes the process log to the broker's connection events; `whileLost` says what the process does meanwhile. */
export function logBrokerEvents(broker: Broker, log: Logger, whileLost = 'reconnecting'): void {
  broker.on((event) => {
    if (event.type === 'connected') log.info('broker connected');
    else if (event.type === 'disconnected') log.warn({ err: event.error?.message }, `broker connection lost; ${whileLost}`);
    else if (event.type === 'reconnect_failed') log.warn({ err: event.error.message, retryInMs: event.retryInMs }, 'broker reconnect failed');
    else if (event.type === 'blocked') log.warn({ reason: event.reason }, 'broker blocked publishing (resource alarm)');
    else log.info('broker unblocked publishing');
  });
}

/** Subscribes the process log to the worker's and broker's events. */
export function logWorkerEvents(worker: FunctionWorker, broker: Broker, log: Logger): void {
  logBrokerEvents(broker, log);
  worker.on('message_processed', ({ envelope, attempt, durationMs, duplicate }) =>
    log.debug({ eventId: envelope.id, attempt, durationMs: Math.round(durationMs * 100) / 100, duplicate }, 'message processed'),
  );
  worker.on('message_retried', ({ envelope, attempt, delayMs, reason }) =>
    log.warn({ eventId: envelope?.id, attempt, delayMs, reason }, 'message failed; will retry'),
  );
  worker.on('message_dead_lettered', ({ envelope, attempt, reason }) => log.error({ eventId: envelope?.id, attempt, reason }, 'message dead-lettered'));
  worker.on('settle_failed', ({ error }) => log.warn({ err: describeError(error) }, 'could not settle a message; it will be redelivered'));
  worker.on('message_conflict', ({ envelope, digest, firstDigest, total }) =>
    log.warn({ eventId: envelope.id, digest, firstDigest, conflicts: total }, 'event id arrived again with a different payload; the first one stands'),
  );
  worker.on('message_isolated', ({ envelope, starts }) => log.info({ eventId: envelope.id, starts }, 'redelivered message runs alone'));
  worker.on('database_unavailable', ({ error, retryInMs, messages }) =>
    log.warn({ err: describeError(error), retryInMs, messages }, 'database unavailable; messages wait, no attempt counted'),
  );
}

export interface RunFunctionOptions {
  /** Wraps the process's broker before the worker uses it (tests inject faults this way). */
  decorateBroker?: (broker: Broker) => Broker;
  /**
   * Closes what the function opened itself (e.g. run-job's worker-thread pool), once the worker has
   * drained or handed its messages back at the shutdown deadline.
   */
  onStopped?: () => Promise<void> | void;
}

/**
 * The entry point of a function's container: connects once, consumes until SIGTERM, drains, exits 0.
 *
 * @example
 * // functions/store-message/src/main.ts
 * await runFunction(storeMessage);
 */
export async function runFunction(declaration: FunctionDeclaration, options: RunFunctionOptions = {}): Promise<void> {
  const config = loadConfig(functionConfig);
  const log = createLogger({ name: declaration.name, level: config.LOG_LEVEL, base: { function: declaration.name } });
  const telemetry = await startProcessTelemetry(declaration.name);
  const created = await createBroker(config, declaration.name, { connectAttemptTimeoutMs: config.BROKER_CONNECT_TIMEOUT_SECONDS * 1000 });
  const broker = telemetry.broker(options.decorateBroker ? options.decorateBroker(created) : created);
  const database = createDatabase({
    instrument: telemetry.sql,
    url: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    poolSize: config.DATABASE_POOL_SIZE ?? declaration.poolSize,
    applicationName: declaration.name,
  });
  const worker = new FunctionWorker({
    declaration,
    broker,
    db: database.db,
    log,
    tracer: telemetry.tracer(declaration.name, broker),
    ...(config.FUNCTION_CONCURRENCY ? { concurrency: config.FUNCTION_CONCURRENCY } : {}),
    onOutboxWrite: () => relay.written(),
  });
  // Sends what handlers published (ctx.publish) once their transactions committed.
  const relay = startFunctionRelay({ worker, db: database.db, broker, source: declaration.name, log });
  logWorkerEvents(worker, broker, log);
  telemetry.observeWorker(worker, declaration.name);
  // Scale-in takes idle replicas first: the local runner and the pod-deletion-cost annotation see this count.
  reportInFlight(worker, { config, env: process.env, log });

  const stallWatch =
    config.STALL_TIMEOUT_SECONDS > 0
      ? watchForStalls(worker, {
          timeoutMs: config.STALL_TIMEOUT_SECONDS * 1000,
          onStall: (stalledMs) => {
            // Its messages go back to the queue with the connection; the inbox absorbs any that had committed.
            log.fatal(
              { inFlight: worker.inFlight, stalledMs: Math.round(stalledMs) },
              'stalled: in-flight messages made no progress; exiting so the replica is replaced',
            );
            process.exit(70);
          },
        })
      : undefined;

  let stopping = false;
  const connectionWatch = watchBrokerConnection(broker, config.BROKER_LIVENESS_TIMEOUT_SECONDS * 1000);
  const health =
    config.HEALTH_PORT > 0
      ? await startHealthServer(config.HEALTH_PORT, { isReady: () => !stopping && broker.isReady(), isAlive: connectionWatch.isAlive })
      : undefined;

  onShutdownSignal(async (signal) => {
    stopping = true;
    const timeoutMs = (config.SHUTDOWN_GRACE_PERIOD_SECONDS ?? declaration.shutdownGracePeriodSeconds) * 1000;
    log.info({ signal, inFlight: worker.inFlight }, 'draining');
    await stopReplica({ worker, relay, broker, database, health, telemetry, stallWatch, log, onStopped: options.onStopped }, { timeoutMs });
  });

  try {
    await broker.connect();
    await worker.start();
  } catch (error) {
    log.fatal({ err: describeError(error) }, 'could not start');
    process.exit(1);
  }
  const coldStartMs = Math.round(performance.now());
  telemetry.coldStart(declaration.name, coldStartMs);
  log.info({ coldStartMs, telemetry: telemetry.enabled, concurrency: config.FUNCTION_CONCURRENCY ?? declaration.concurrency }, 'consuming');
}
