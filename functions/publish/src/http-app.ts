import type { HttpFunctionApp, HttpFunctionContext } from '@qfn/shared/platform';
import { createPublishApp } from './app';
import type { PublishConfig } from './config';
import { loadCredentials } from './credentials';
import { functionQueues } from './function-queues.generated';
import { IdempotencyStore } from './idempotency';
import { startPublishRelay } from './outbox-relay';
import { answerClientErrorsWithJson } from './protection';
import { QueueActivity } from './push-scaler/activity';
import { observePublishes } from './push-scaler/observe';
import { startPushScalerServer } from './push-scaler/server';

/**
 * The publish function's process around its HTTP API: credentials, Idempotency-Key expiry, the relay of
 * delayed events and abandoned outbox rows, and KEDA's push scaler beside the app.
 *
 * @example
 * export default defineHttpFunction({ name: 'publish', config: publishConfig, publishes: 'any', app: publishHttpApp });
 */
export function publishHttpApp(context: HttpFunctionContext<PublishConfig>): HttpFunctionApp {
  const { config, log, broker, queueAdmin, database } = context;
  // A ConfigError here (an unreadable token file) exits 78.
  const credentials = loadCredentials(config);
  if (credentials.publishTokens.length === 0) log.warn('PUBLISH_API_TOKENS is not set: the message API accepts anyone (fine locally, never in a cluster)');
  // KEDA's external-push scaler: hears every confirmed publish, so a function at zero wakes without a poll.
  const activity = config.PUSH_SCALER_PORT === undefined ? undefined : new QueueActivity(functionQueues, { idleMs: config.PUSH_SCALER_IDLE_SECONDS * 1000 });
  if (activity) observePublishes(broker, activity);

  const app = createPublishApp({
    broker,
    queueAdmin,
    db: database.db,
    pingDatabase: database.ping,
    log,
    maxBodyBytes: config.MAX_BODY_BYTES,
    isStopping: context.isStopping,
    isAlive: context.isAlive,
    idempotency: { leaseSeconds: config.IDEMPOTENCY_LEASE_SECONDS, ttlSeconds: config.IDEMPOTENCY_KEY_TTL_SECONDS },
    telemetry: context.telemetry,
    protection: {
      publishTokens: credentials.publishTokens,
      requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
      ...(config.RATE_LIMIT_PER_SECOND > 0
        ? {
            rateLimit: {
              ratePerSecond: config.RATE_LIMIT_PER_SECOND,
              burst: config.RATE_LIMIT_BURST ?? Math.max(1, Math.ceil(config.RATE_LIMIT_PER_SECOND * 2)),
            },
          }
        : {}),
    },
    admin: { queues: functionQueues, tokens: credentials.adminTokens },
  });

  let relay: ReturnType<typeof startPublishRelay> | undefined;
  let pushScaler: Awaited<ReturnType<typeof startPushScalerServer>> | undefined;
  return {
    fetch: app.fetch,
    configureServer: (server) => {
      // Node's own limits back up the app's timeout for what never reaches it (slow headers, a body trickling in).
      Object.assign(server, { requestTimeout: config.REQUEST_TIMEOUT_MS + 5_000, headersTimeout: Math.min(config.REQUEST_TIMEOUT_MS, 60_000) });
      answerClientErrorsWithJson(server);
    },
    start: async () => {
      // Expired Idempotency-Keys are ignored by claims already; this keeps the table from growing.
      const expiredKeys = new IdempotencyStore(database.db, { ttlSeconds: config.IDEMPOTENCY_KEY_TTL_SECONDS });
      setInterval(() => {
        expiredKeys.deleteExpired().catch((error: Error) => log.debug({ err: error.message }, 'could not delete expired idempotency keys'));
      }, 60_000).unref();
      // Delayed events (POST /events/{type}?delaySeconds=) and rows a dead replica never sent.
      relay = startPublishRelay({
        db: database.db,
        broker,
        log,
        adoptAfterSeconds: config.OUTBOX_ADOPT_AFTER_SECONDS,
        pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
        telemetry: context.telemetry,
      });
      if (activity && config.PUSH_SCALER_PORT !== undefined) {
        pushScaler = await startPushScalerServer({ port: config.PUSH_SCALER_PORT, activity });
        log.info({ port: pushScaler.port }, 'push scaler listening');
      }
    },
    shutdownSteps: () => [
      { name: 'pushScaler.close', run: () => pushScaler?.close() },
      { name: 'activity.close', run: () => activity?.close() },
      { name: 'relay.stop', run: () => relay?.stop() },
    ],
  };
}
