import { Hono, type MiddlewareHandler } from 'hono';
import { compress } from 'hono/compress';
import { streamSSE } from 'hono/streaming';
import type { ConsoleHub } from './hub';
import type { ConsoleUpdate } from './model';

export interface ConsoleRoutesOptions {
  hub: ConsoleHub;
  /**
   * Runs before every data route (`/console/api/*`): the admin token check of whoever mounts the
   * console, the same one as the dead-letter admin API. The page itself holds no data and is public.
   */
  guard: MiddlewareHandler;
  /** Where the page finds the dead-letter admin API, relative to the origin. */
  adminPath?: string;
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs?: number;
}

const pageSecurityHeaders = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const contentTypes: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

/** Loaded on the first page request, so a publish function that never serves the console never parses it (its own bundle chunk). */
const loadAssets = () => import('../assets.generated');

/**
 * The console: `GET /console/` (the page), `/console/assets/*` (its script, styles and uPlot, prebuilt),
 * `GET /console/api/snapshot` (everything the hub holds, JSON) and `GET /console/api/stream`
 * (Server-Sent Events: one `snapshot`, then an `update` per sample, marker or cold start).
 *
 * @example
 * app.route('/', consoleRoutes({ hub, guard: tokenAuth({ tokens: adminTokens, realm: 'qfn-admin' }) }));
 */
export function consoleRoutes(options: ConsoleRoutesOptions) {
  const app = new Hono();
  const heartbeatMs = options.heartbeatMs ?? 15_000;

  app.get('/console', (c) => c.redirect('/console/', 302));
  // gzip for the page and its assets only: a compressed event stream would sit in the compressor's buffer.
  app.use('/console/', compress());
  app.use('/console/assets/*', compress());
  app.get('/console/', async (c) => {
    const { consolePage } = await loadAssets();
    const html = consolePage.replace('%ADMIN_PATH%', options.adminPath ?? '/admin');
    return c.body(html, 200, { ...pageSecurityHeaders, 'content-type': contentTypes['.html']!, 'cache-control': 'no-cache' });
  });
  app.get('/console/assets/:file', async (c) => {
    const { consoleAssets } = await loadAssets();
    const asset = consoleAssets[c.req.param('file')];
    if (!asset) return c.json({ error: 'not_found', message: 'no such console asset' }, 404);
    // Compression turns the ETag weak (W/"…"): the same asset either way.
    const presented = (c.req.header('if-none-match') ?? '').split(',').map((tag) => tag.trim().replace(/^W\//, ''));
    if (presented.includes(asset.etag)) return c.body(null, 304, { etag: asset.etag });
    const type = contentTypes[/\.[a-z]+$/.exec(c.req.param('file'))?.[0] ?? ''] ?? 'application/octet-stream';
    return c.body(asset.text, 200, { ...pageSecurityHeaders, 'content-type': type, etag: asset.etag, 'cache-control': 'no-cache' });
  });

  app.use('/console/api/*', options.guard);
  app.get('/console/api/snapshot', (c) => c.json(options.hub.snapshot(), 200, { 'cache-control': 'no-store' }));
  app.get('/console/api/stream', (c) => {
    c.header('cache-control', 'no-store');
    c.header('x-accel-buffering', 'no');
    return streamSSE(c, async (stream) => {
      const queued: ConsoleUpdate[] = [];
      let wake: (() => void) | undefined;
      let closed = false;
      const unsubscribe = options.hub.subscribe((update) => {
        queued.push(update);
        wake?.();
      });
      stream.onAbort(() => {
        closed = true;
        unsubscribe();
        wake?.();
      });
      try {
        await stream.writeSSE({ event: 'snapshot', data: JSON.stringify(options.hub.snapshot()) });
        while (!closed) {
          if (queued.length === 0) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, heartbeatMs).unref?.();
            });
            wake = undefined;
            if (queued.length === 0 && !closed) await stream.write(': keep-alive\n\n');
            continue;
          }
          // Everything that arrived since the last write goes out as one event: one write per burst.
          const batch = queued.splice(0);
          await stream.writeSSE({ event: 'update', data: JSON.stringify(batch) });
        }
      } finally {
        unsubscribe();
      }
    });
  });
  return app;
}
