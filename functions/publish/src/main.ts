import { serve } from '@hono/node-server';
import { ConfigError, createBroker, createDatabase, createLogger, describeError, loadConfig, logBrokerEvents, onShutdownSignal, startProcessTelemetry, watchBrokerConnection } from '@qfn/shared/platform';
import { createPublishApp } from './app';
import { IdempotencyStore } from './idempotency';
import { publishConfig } from './config';
import { loadCredentials } from './credentials';
import { answerClientErrorsWithJson } from './protection';
import { functionQueues } from './function-queues.generated';
import { startPublishRelay } from './outbox-relay';
import { QueueActivity } from './push-scaler/activity';
import { observePublishes } from './push-scaler/observe';
import { startPushScalerServer } from './push-scaler/server';

const config = loadConfig(publishConfig);
const log = createLogger({ name: 'publish', level: config.LOG_LEVEL, base: { function: 'publish' } });
const credentials = (() => {
  try {
    return loadCredentials(config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`configuration error: ${error.message}\n`);
    process.exit(78);
  }
})();
if (credentials.publishTokens.length === 0) log.warn('PUBLISH_API_TOKENS is not set: the message API accepts anyone (fine locally, never in a cluster)');
const telemetry = await startProcessTelemetry('publish');
// One connection: the data plane (traced) publishes, the admin half serves the dead-letter API and the console.
const queueAdmin = await createBroker(config, 'publish', { connectAttemptTimeoutMs: config.BROKER_CONNECT_TIMEOUT_SECONDS * 1000 });
const broker = telemetry.broker(queueAdmin);
// KEDA's external-push scaler: hears every confirmed publish, so a function at zero wakes without a poll.
const activity = config.PUSH_SCALER_PORT === undefined ? undefined : new QueueActivity(functionQueues, { idleMs: config.PUSH_SCALER_IDLE_SECONDS * 1000 });
if (activity) observePublishes(broker, activity);
logBrokerEvents(broker, log, 'answering 503 until it is back');
const connectionWatch = watchBrokerConnection(broker, config.BROKER_LIVENESS_TIMEOUT_SECONDS * 1000);
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
  queueAdmin,
  db: database.db,
  pingDatabase: database.ping,
  log,
  maxBodyBytes: config.MAX_BODY_BYTES,
  isStopping: () => stopping,
  isAlive: connectionWatch.isAlive,
  idempotency: { leaseSeconds: config.IDEMPOTENCY_LEASE_SECONDS, ttlSeconds: config.IDEMPOTENCY_KEY_TTL_SECONDS },
  telemetry: telemetry.enabled,
  protection: {
    publishTokens: credentials.publishTokens,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    ...(config.RATE_LIMIT_PER_SECOND > 0
      ? { rateLimit: { ratePerSecond: config.RATE_LIMIT_PER_SECOND, burst: config.RATE_LIMIT_BURST ?? Math.max(1, Math.ceil(config.RATE_LIMIT_PER_SECOND * 2)) } }
      : {}),
  },
  admin: { queues: functionQueues, tokens: credentials.adminTokens },
});
// Expired Idempotency-Keys are ignored by claims already; this keeps the table from growing.
const expiredKeys = new IdempotencyStore(database.db, { ttlSeconds: config.IDEMPOTENCY_KEY_TTL_SECONDS });
setInterval(() => {
  expiredKeys.deleteExpired().catch((error: Error) => log.debug({ err: error.message }, 'could not delete expired idempotency keys'));
}, 60_000).unref();
// Delayed events (POST /events/{type}?delaySeconds=) and rows a dead replica never sent.
const relay = startPublishRelay({ db: database.db, broker, log, adoptAfterSeconds: config.OUTBOX_ADOPT_AFTER_SECONDS, pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS, telemetry: telemetry.enabled });
const server = serve({ fetch: app.fetch, port: config.PORT }, (info) => {
  log.info({ port: info.port, telemetry: telemetry.enabled, coldStartMs: Math.round(performance.now()) }, 'listening');
});
// Node's own limits back up the app's timeout for what never reaches it (slow headers, a body trickling in).
Object.assign(server, { requestTimeout: config.REQUEST_TIMEOUT_MS + 5_000, headersTimeout: Math.min(config.REQUEST_TIMEOUT_MS, 60_000) });
answerClientErrorsWithJson(server);
const pushScaler = activity && config.PUSH_SCALER_PORT !== undefined ? await startPushScalerServer({ port: config.PUSH_SCALER_PORT, activity }) : undefined;
if (pushScaler) log.info({ port: pushScaler.port }, 'push scaler listening');

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
  await pushScaler?.close();
  activity?.close();
  await relay.stop();
  await broker.close();
  await database.close();
  await telemetry.shutdown();
  log.info('stopped');
});
