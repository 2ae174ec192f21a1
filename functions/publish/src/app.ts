import { Hono } from 'hono';
import type { Broker, Database, EventDefinition, Logger, QueueAdmin, QueueSpec } from '@qfn/shared/platform';
import type { AppEnv } from './app-env';
import { ApiError, apiErrorHandler, type ErrorRenderer, renderJsonError } from './errors';
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
  /**
   * How every error answer is rendered (thrown ApiErrors, unknown routes, an unreachable database,
   * failures); default: `{ error, message, issues? }` as JSON (renderJsonError).
   */
  renderError?: ErrorRenderer;
}

/**
 * The publish function's HTTP API.
 *
 * @example
 * serve({ fetch: createPublishApp({ broker, queueAdmin: broker, db, pingDatabase, log, maxBodyBytes: 65536 }).fetch, port: 3000 });
 */
export function createPublishApp(options: PublishAppOptions) {
  const app = new Hono<AppEnv>();
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
  app.route(
    '/',
    eventRoutes({
      broker: options.broker,
      db: options.db,
      events: events.definitions,
      subscribers: events.subscribers,
      maxBodyBytes: options.maxBodyBytes,
      idempotency,
    }),
  );
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
  const render = options.renderError ?? renderJsonError;
  app.notFound((c) => render(new ApiError(404, 'not_found', `no route ${c.req.method} ${c.req.path}`), c));
  app.onError(apiErrorHandler({ log: options.log, render }));
  return app;
}
