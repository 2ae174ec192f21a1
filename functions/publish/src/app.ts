import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { type Broker, type Database, type EventDefinition, isDatabaseUnavailable, type Logger, type QueueAdmin, type QueueSpec } from '@qfn/shared/platform';
import { errorResponse } from './errors';
import { IdempotencyStore, type IdempotencyOptions } from './idempotency';
import { httpTelemetry } from './middleware/telemetry/index';
import { openApiRoutes } from './openapi';
import { protect, type ProtectionOptions } from './protection';
import { adminRoutes } from './routes/admin';
import { consoleRoute } from './routes/console';
import { eventRoutes } from './routes/events';
import { eventDefinitions } from './event-definitions.generated';
import { functionQueues } from './function-queues.generated';
import { healthRoutes } from './routes/health';
import { messageRoutes } from './routes/messages';
import { publishRoute } from './routes/publish';

export interface PublishAppOptions {
  broker: Broker;
  /** The dead-letter admin API's and the console's view of the queues (usually the same broker connection). */
  queueAdmin: QueueAdmin;
  db: Database;
  pingDatabase: () => Promise<boolean>;
  log: Logger;
  maxBodyBytes: number;
  isStopping?: () => boolean;
  /** Lease and TTL of Idempotency-Key claims. */
  idempotency?: IdempotencyOptions;
  /** Liveness: false once the broker connection has been down too long (see watchBrokerConnection). */
  isAlive?: () => boolean;
  /** Install the tracing and request-metrics middleware (only when telemetry is on). */
  telemetry?: boolean;
  /** Authentication, rate limit and request timeout of the message API; secure headers are always on. */
  protection?: ProtectionOptions;
  /** The dead-letter admin API: the consumer functions' queues and the admin tokens (none: it answers 403). */
  admin?: { queues: readonly QueueSpec[]; tokens: readonly string[] };
  /** Declared event types and who subscribes to them; default: the generated ones of this repository. */
  events?: { definitions: ReadonlyMap<string, EventDefinition>; subscribers: readonly { name: string; subscribes: readonly string[] }[] };
}

/**
 * The publish function's HTTP API.
 *
 * @example
 * serve({ fetch: createPublishApp({ broker, queueAdmin: broker, db, pingDatabase, log, maxBodyBytes: 65536 }).fetch, port: 3000 });
 */
export function createPublishApp(options: PublishAppOptions) {
  const app = new Hono();
  if (options.telemetry) app.use(httpTelemetry());
  protect(app, options.protection ?? {});
  const idempotency = new IdempotencyStore(options.db, options.idempotency);
  app.route(
    '/',
    publishRoute({
      broker: options.broker,
      idempotency,
      maxBodyBytes: options.maxBodyBytes,
    }),
  );
  app.route('/', messageRoutes(options.db));
  const events = options.events ?? { definitions: eventDefinitions, subscribers: functionQueues };
  app.route('/', eventRoutes({ broker: options.broker, db: options.db, events: events.definitions, subscribers: events.subscribers, maxBodyBytes: options.maxBodyBytes, idempotency }));
  app.route(
    '/',
    healthRoutes({
      broker: options.broker,
      pingDatabase: options.pingDatabase,
      isStopping: options.isStopping ?? (() => false),
      ...(options.isAlive ? { isAlive: options.isAlive } : {}),
    }),
  );
  app.route('/', openApiRoutes({ maxBodyBytes: options.maxBodyBytes, events: events.definitions }));
  app.route('/', adminRoutes({ queueAdmin: options.queueAdmin, queues: options.admin?.queues ?? [], tokens: options.admin?.tokens ?? [] }));
  app.route('/', consoleRoute({ queueAdmin: options.queueAdmin, db: options.db, queues: options.admin?.queues ?? [], tokens: options.admin?.tokens ?? [] }));
  app.notFound((c) => errorResponse(c, 404, 'not_found', `no route ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    if (error instanceof HTTPException) return error.res ? error.getResponse() : errorResponse(c, error.status as 400, 'http_error', error.message);
    if (isDatabaseUnavailable(error)) {
      options.log.warn({ err: error.message, path: c.req.path }, 'database unavailable');
      c.header('retry-after', '2');
      return errorResponse(c, 503, 'database_unavailable', 'the database is not reachable; nothing was published: retry later');
    }
    options.log.error({ err: error.message, path: c.req.path }, 'request failed');
    return errorResponse(c, 500, 'internal_error', 'the request failed; nothing is known to be published');
  });
  return app;
}
