import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono, type MiddlewareHandler } from 'hono';
import { tokenAuth } from '@qfn/publish/middleware/auth/index';
import type { ConsoleHub } from '../../console/server/hub';
import { consoleRoutes } from '../../console/server/routes';

export interface StatusServer {
  port: number;
  close(): Promise<void>;
}

export interface StatusServerConsole {
  hub: ConsoleHub;
  /** The admin token(s): the console's data and the dead-letter API answer only to them. */
  tokens: readonly string[];
  /** The dead-letter admin API (the publish function's own routes), once the broker is connected; 503 before. */
  admin: () => Hono | undefined;
  /** The publish function's address, once it runs: the console's event catalog and test events go there. */
  publishUrl?: () => string | null;
}

/**
 * `GET /_local/status` (the runner's status as JSON) on its own port (the publish function stays
 * untouched) and, with `console`, the web console at `/console/` with the dead-letter API at `/admin/dlq…` and the
 * publish function's `/events` (catalog and test events) forwarded to it.
 *
 * @example
 * const server = await startStatusServer(3001, () => runner.status(), { hub, tokens: [token], admin: () => adminApp });
 */
export function startStatusServer(port: number, status: () => unknown, consoleOptions?: StatusServerConsole): Promise<StatusServer> {
  const app = new Hono();
  app.on(['GET', 'HEAD'], '/_local/status', (c) => {
    const headers = { 'content-type': 'application/json', 'cache-control': 'no-store' };
    return c.req.method === 'HEAD' ? c.body(null, 200, headers) : c.body(`${JSON.stringify(status(), null, 2)}\n`, 200, headers);
  });
  if (consoleOptions) {
    const guard: MiddlewareHandler = tokenAuth({ tokens: consoleOptions.tokens, realm: 'qfn-admin' });
    app.route('/', consoleRoutes({ hub: consoleOptions.hub, guard }));
    app.all('/admin/*', (c) => {
      const admin = consoleOptions.admin();
      if (!admin) return c.json({ error: 'starting', message: 'the broker is not connected yet' }, 503, { 'retry-after': '1' });
      return admin.fetch(c.req.raw);
    });
    // The page reads GET /events and posts POST /events/{type} on its own origin, as it does when the publish
    // function serves it on a cluster: here they go on to the publish function, which validates and answers.
    const forwardToPublish: MiddlewareHandler = async (c) => {
      const base = consoleOptions.publishUrl?.();
      if (!base) return c.json({ error: 'starting', message: 'the publish function is not running yet' }, 503, { 'retry-after': '1' });
      const target = new URL(c.req.url);
      const forwarded = new URL(`${target.pathname}${target.search}`, base);
      const headers = new Headers(c.req.raw.headers);
      headers.delete('host');
      const body = c.req.method === 'GET' || c.req.method === 'HEAD' ? undefined : await c.req.arrayBuffer();
      try {
        const answer = await fetch(forwarded, { method: c.req.method, headers, ...(body ? { body } : {}), redirect: 'manual' });
        // fetch has already decoded the body: its length and encoding headers no longer describe it.
        const answerHeaders = new Headers(answer.headers);
        answerHeaders.delete('content-encoding');
        answerHeaders.delete('content-length');
        return new Response(answer.body, { status: answer.status, headers: answerHeaders });
      } catch (error) {
        return c.json(
          { error: 'publish_unreachable', message: `the publish function did not answer: ${error instanceof Error ? error.message : String(error)}` },
          502,
        );
      }
    };
    app.all('/events', forwardToPublish);
    app.all('/events/*', forwardToPublish);
  }
  app.notFound((c) => c.json({ error: 'not found', see: consoleOptions ? ['/_local/status', '/console/'] : '/_local/status' }, 404));

  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
    server.once('error', reject);
    server.once('listening', () => {
      const address = server.address() as AddressInfo;
      resolve({
        port: address.port,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            // Open console streams would hold close() forever.
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
  });
}
