import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { z } from 'zod';
import { commonConfig, ConfigError, loadConfig, port } from '../config/index';
import { createDatabase } from '../db/client';
import type { HttpFunctionConfig, HttpFunctionDeclaration } from '../function/http';
import { createLogger } from '../log/index';
import { createBroker } from '../queue/create';
import { startProcessTelemetry } from '../telemetry/process';
import { runCleanup } from './cleanup';
import { describeError } from './errors';
import { brokerHealthSettings, watchBrokerConnection } from './health';
import { logBrokerEvents } from './run';
import { onShutdownSignal } from './shutdown';

/** The settings every HTTP function has; extend it with the function's own. */
export const httpFunctionConfig = commonConfig.extend({
  PORT: port(3000),
  /** Seconds to finish open requests after SIGTERM; default: the declaration's. */
  SHUTDOWN_GRACE_PERIOD_SECONDS: z.coerce.number().positive().max(3600).optional(),
  ...brokerHealthSettings,
});

/**
 * The entry point of an HTTP function's container: reads its settings, starts telemetry, creates the
 * broker and the database pool, builds the app, connects, serves PORT until SIGTERM, then stops taking
 * connections, lets open requests finish within the grace period and closes everything (each step even
 * when an earlier one failed). Logs `listening` (with `coldStartMs`) once it takes requests.
 *
 * @example
 * // functions/publish/src/main.ts
 * await runHttpFunction(publish);
 */
export async function runHttpFunction<S extends z.ZodObject>(declaration: HttpFunctionDeclaration<S>): Promise<void> {
  const { name } = declaration;
  const config = loadConfig(declaration.config) as z.output<S> & HttpFunctionConfig;
  const log = createLogger({ name, level: config.LOG_LEVEL, base: { function: name } });
  const telemetry = await startProcessTelemetry(name);
  // One connection: the data plane (traced) publishes, the admin half serves depth and dead letters.
  const queueAdmin = await createBroker(config, name, { connectAttemptTimeoutMs: config.BROKER_CONNECT_TIMEOUT_SECONDS * 1000 });
  const broker = telemetry.broker(queueAdmin);
  logBrokerEvents(broker, log, 'answering 503 until it is back');
  const connectionWatch = watchBrokerConnection(broker, config.BROKER_LIVENESS_TIMEOUT_SECONDS * 1000);
  const database = createDatabase({
    instrument: telemetry.sql,
    url: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    poolSize: config.DATABASE_POOL_SIZE ?? declaration.poolSize,
    applicationName: name,
  });

  let stopping = false;
  const app = await buildApp(() =>
    declaration.app({ config, log, broker, queueAdmin, database, telemetry: telemetry.enabled, isStopping: () => stopping, isAlive: connectionWatch.isAlive }),
  );

  try {
    await broker.connect();
  } catch (error) {
    log.fatal({ err: describeError(error) }, 'could not connect to the broker');
    process.exit(1);
  }
  await app.start?.();
  const server = serve({ fetch: app.fetch, port: config.PORT }, (info) => {
    log.info({ port: info.port, telemetry: telemetry.enabled, coldStartMs: Math.round(performance.now()) }, 'listening');
  }) as Server;
  app.configureServer?.(server);

  onShutdownSignal(async (signal) => {
    stopping = true;
    log.info({ signal }, 'draining');
    const graceMs = (config.SHUTDOWN_GRACE_PERIOD_SECONDS ?? declaration.shutdownGracePeriodSeconds) * 1000;
    await runCleanup(
      [
        { name: 'server.close', run: () => closeWithin(server, graceMs) },
        ...(app.shutdownSteps?.() ?? []),
        { name: 'broker.close', run: () => broker.close() },
        { name: 'database.close', run: () => database.close() },
        { name: 'telemetry.shutdown', run: () => telemetry.shutdown() },
      ],
      (step, error) => log.error({ step, err: describeError(error) }, 'shutdown step failed; the next steps run still'),
    );
    log.info('stopped');
  });
}

/** The app factory's ConfigError (a secret file that cannot be read) ends the process as a bad setting does. */
async function buildApp<T>(build: () => T | Promise<T>): Promise<T> {
  try {
    return await build();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`configuration error: ${error.message}\n`);
    process.exit(78);
  }
}

/** Stops taking connections and waits for open requests, at most `graceMs`. */
function closeWithin(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
