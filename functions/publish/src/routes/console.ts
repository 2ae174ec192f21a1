import { Hono, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { parseConfig, type Database, type QueueAdmin, type QueueSpec } from '@qfn/shared/platform';
import { inClusterApi } from '../../../../console/kubernetes/client';
import { ClusterConsoleSource } from '../../../../console/kubernetes/source';
import { ConsoleHub } from '../../../../console/server/hub';
import { consoleRoutes } from '../../../../console/server/routes';
import { tokenAuth } from '../middleware/auth/index';
import { adminDisabled } from './admin';

export interface ConsoleRouteOptions {
  queueAdmin: QueueAdmin;
  db: Database;
  /** The consumer functions' queues (as for the admin API). */
  queues: readonly QueueSpec[];
  /** The admin tokens: the console's data answers only to them. None: 403, as the admin API. */
  tokens: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/** Set by the chart when `console.enabled`: the pod then has a service account token and a read-only Role in its namespace. */
export const consoleConfig = z.object({
  CONSOLE_KUBERNETES: z.enum(['true', 'false'], { message: 'must be true or false' }).default('false'),
  /** The Helm release: its objects carry app.kubernetes.io/instance=<release>. */
  CONSOLE_RELEASE: z.string().min(1).default('qfn'),
});

/**
 * The web console at `/console/`, behind the admin token (the page is public, its data is not): queue
 * depth, processed/s and lag from this process's broker and database; replicas and scale decisions
 * from the Kubernetes API when the chart gives it access. Nothing runs until a page is open.
 *
 * @example
 * app.route('/', consoleRoute({ queueAdmin, db, queues: functionQueues, tokens: adminTokens }));
 */
export function consoleRoute(options: ConsoleRouteOptions) {
  const config = parseConfig(consoleConfig, options.env ?? process.env);
  let kubernetesProblem: string | undefined;
  const hub = new ConsoleHub({
    installation: {
      name: config.CONSOLE_RELEASE,
      mode: 'kubernetes',
      detail: `${options.queueAdmin.kind === 'rabbitmq' ? 'RabbitMQ' : 'SQS'} · served by the publish function`,
    },
    // Called once a page subscribes, long after `source` below exists.
    onWatchers: (watching) => source.watching(watching),
  });
  let kubernetes: ConstructorParameters<typeof ClusterConsoleSource>[0]['kubernetes'];
  if (config.CONSOLE_KUBERNETES === 'true') {
    try {
      kubernetes = { ...inClusterApi(), release: config.CONSOLE_RELEASE };
    } catch (error) {
      kubernetesProblem = `replicas and scale decisions unavailable: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  const source = new ClusterConsoleSource({
    hub,
    queueAdmin: options.queueAdmin,
    db: options.db,
    queues: options.queues,
    ...(kubernetes ? { kubernetes } : {}),
  });
  if (kubernetesProblem) hub.warn('kubernetes-setup', kubernetesProblem);

  const guard: MiddlewareHandler =
    options.tokens.length > 0 ? tokenAuth({ tokens: options.tokens, realm: 'qfn-admin' }) : () => Promise.reject(adminDisabled());
  const app = new Hono();
  app.route('/', consoleRoutes({ hub, guard }));
  return app;
}
