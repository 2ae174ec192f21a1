import type { Server } from 'node:http';
import type { z } from 'zod';
import type { CommonConfig } from '../config/index';
import type { DatabaseHandle } from '../db/client';
import type { Logger } from '../log/index';
import type { Broker, QueueAdmin } from '../queue/types';

/** What the runtime itself reads from an HTTP function's settings; the rest of its schema is the function's own. */
export type HttpFunctionConfig = CommonConfig & {
  /** The port the app is served on, probes included. */
  PORT: number;
  /** Seconds open requests get after SIGTERM; absent: the declaration's shutdownGracePeriodSeconds. */
  SHUTDOWN_GRACE_PERIOD_SECONDS?: number | undefined;
  BROKER_LIVENESS_TIMEOUT_SECONDS: number;
  BROKER_CONNECT_TIMEOUT_SECONDS: number;
};

/** What the runtime hands the app factory: everything already created, nothing connected yet. */
export interface HttpFunctionContext<C extends HttpFunctionConfig = HttpFunctionConfig> {
  config: C;
  log: Logger;
  /** The data plane, traced when telemetry is on: publish through this. */
  broker: Broker;
  /** The same connection's admin half: queue depth and dead letters. */
  queueAdmin: QueueAdmin;
  database: DatabaseHandle;
  /** Telemetry is on (OTEL_* or METRICS_PORT set): install request tracing and metrics. */
  telemetry: boolean;
  /** True from SIGTERM on: readiness fails while open requests finish. */
  isStopping(): boolean;
  /** False once the broker connection has been down longer than BROKER_LIVENESS_TIMEOUT_SECONDS: liveness fails. */
  isAlive(): boolean;
}

/** One step of the function's own shutdown, run even when an earlier one failed. */
export interface HttpShutdownStep {
  name: string;
  run: () => unknown;
}

/** What the app factory returns: the request handler and the function's own start and stop. */
export interface HttpFunctionApp {
  /** Answers every request on PORT, `/healthz` and `/readyz` included (a Hono app's `fetch`). */
  fetch(request: Request, env?: object): Response | Promise<Response>;
  /** Called with the Node server before it takes connections: timeouts, a `clientError` handler. */
  configureServer?: (server: Server) => void;
  /** After the broker connected, before the server listens: background work (relays, timers, side servers). */
  start?: () => unknown;
  /** On SIGTERM, once the server closed and before the broker, the database and telemetry close. */
  shutdownSteps?: () => readonly HttpShutdownStep[];
}

export interface HttpFunctionOptions<S extends z.ZodObject> {
  /** DNS label: names the process, its logs, its telemetry and its database connections. */
  name: string;
  /** The function's settings, read once from the environment (a bad one: one line naming it, exit 78). */
  config: S;
  /** Database connections of one replica (DATABASE_POOL_SIZE overrides it); default 5. */
  poolSize?: number;
  /** Seconds open requests get after SIGTERM unless SHUTDOWN_GRACE_PERIOD_SECONDS says otherwise; default 10. */
  shutdownGracePeriodSeconds?: number;
  /** The event types it publishes; `'any'` for a gateway that publishes whatever declared type its clients send. */
  publishes: 'any' | readonly string[];
  /** Paths of the probes on PORT; default `/healthz` (liveness) and `/readyz` (readiness). */
  probes?: { liveness?: string; readiness?: string };
  /**
   * Builds the app, once, before the broker connects. Keep imports of the app itself inside it (a dynamic
   * `import()`) so that tooling reading the declaration does not load the server. A ConfigError thrown
   * here (a secret that cannot be read) exits 78 like a bad setting.
   */
  app: (context: HttpFunctionContext<z.output<S> & HttpFunctionConfig>) => HttpFunctionApp | Promise<HttpFunctionApp>;
}

/** A declared HTTP function: what `runHttpFunction` starts and what tooling (local runner, chart) reads. */
export interface HttpFunctionDeclaration<S extends z.ZodObject = z.ZodObject> {
  readonly kind: 'http';
  readonly name: string;
  readonly config: S;
  readonly poolSize: number;
  readonly shutdownGracePeriodSeconds: number;
  readonly publishes: 'any' | readonly string[];
  readonly probes: { readonly liveness: string; readonly readiness: string };
  readonly app: HttpFunctionOptions<S>['app'];
}

const dnsLabel = /^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$/;

/**
 * Declares an HTTP function (an API in front of the queues): its settings, pool, drain time, what it
 * publishes and how its app is built. `runHttpFunction` owns the start-up every such process repeats:
 * settings, logger, telemetry, broker and database, connect, serve, graceful shutdown.
 *
 * @example
 * // functions/gateway/src/function.ts
 * export default defineHttpFunction({
 *   name: 'gateway',
 *   config: httpFunctionConfig,
 *   publishes: ['order.placed'],
 *   app: async (ctx) => (await import('./app')).gatewayApp(ctx),
 * });
 * // functions/gateway/src/main.ts
 * await runHttpFunction(gateway);
 */
export function defineHttpFunction<S extends z.ZodObject>(
  options: HttpFunctionOptions<S> &
    (z.output<S> extends HttpFunctionConfig ? unknown : { config: 'must extend httpFunctionConfig (PORT, broker health settings)' }),
): HttpFunctionDeclaration<S> {
  if (!dnsLabel.test(options.name))
    throw new Error(`defineHttpFunction: name ${JSON.stringify(options.name)} must be a DNS label of at most 40 characters (a-z, 0-9, -)`);
  const poolSize = options.poolSize ?? 5;
  const shutdownGracePeriodSeconds = options.shutdownGracePeriodSeconds ?? 10;
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 100)
    throw new Error(`defineHttpFunction ${options.name}: poolSize must be an integer from 1 to 100`);
  if (!(shutdownGracePeriodSeconds > 0 && shutdownGracePeriodSeconds <= 3600))
    throw new Error(`defineHttpFunction ${options.name}: shutdownGracePeriodSeconds must be in (0, 3600]`);
  return Object.freeze({
    kind: 'http' as const,
    name: options.name,
    config: options.config,
    poolSize,
    shutdownGracePeriodSeconds,
    publishes: options.publishes === 'any' ? 'any' : Object.freeze([...options.publishes]),
    probes: Object.freeze({ liveness: options.probes?.liveness ?? '/healthz', readiness: options.probes?.readiness ?? '/readyz' }),
    app: options.app,
  });
}

/** True for a declaration made by defineHttpFunction (tooling tells HTTP functions from consumers with it). */
export function isHttpFunction(declaration: unknown): declaration is HttpFunctionDeclaration {
  return typeof declaration === 'object' && declaration !== null && (declaration as { kind?: unknown }).kind === 'http';
}
