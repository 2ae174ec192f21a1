import { serve } from '@hono/node-server';
import { createBroker, createDatabase, createLogger, describeError, loadConfig, onShutdownSignal, startProcessTelemetry } from '@qfn/shared';
import { createPublishApp } from './app';
import { publishConfig } from './config';

const config = loadConfig(publishConfig);
const log = createLogger({ name: 'publish', level: config.LOG_LEVEL, base: { function: 'publish' } });
const telemetry = await startProcessTelemetry('publish');
const broker = telemetry.broker(await createBroker(config, 'publish'));
broker.on((event) => {
  if (event.type === 'connected') log.info('broker connected');
  else if (event.type === 'disconnected') log.warn({ err: event.error?.message }, 'broker connection lost; answering 503 until it is back');
  else log.warn({ err: event.error.message, retryInMs: event.retryInMs }, 'broker reconnect failed');
});
const database = createDatabase({
  instrument: telemetry.sql,
  url: config.DATABASE_URL,
  schema: config.DATABASE_SCHEMA,
  poolSize: config.DATABASE_POOL_SIZE ?? 5,
  applicationName: 'publish',
});

try {
  await broker.connect();
} catch (error) {
  log.fatal({ err: describeError(error) }, 'could not connect to the broker');
  process.exit(1);
}

let stopping = false;
const app = createPublishApp({
  broker,
  db: database.db,
  pingDatabase: database.ping,
  log,
  maxBodyBytes: config.MAX_BODY_BYTES,
  isStopping: () => stopping,
  telemetry: telemetry.enabled,
});
const server = serve({ fetch: app.fetch, port: config.PORT }, (info) => {
  log.info({ port: info.port, telemetry: telemetry.enabled, coldStartMs: Math.round(performance.now()) }, 'listening');
});

onShutdownSignal(async (signal) => {
  stopping = true;
  log.info({ signal }, 'draining');
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, config.SHUTDOWN_GRACE_PERIOD_SECONDS * 1000);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
  await broker.close();
  await database.close();
  await telemetry.shutdown();
  log.info('stopped');
});
