import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'hono';

/** The Node request under @hono/node-server (undefined elsewhere, e.g. `app.request()` in tests). */
export function nodeRequestOf(c: Context): IncomingMessage | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
}

/** The Node response under @hono/node-server (undefined elsewhere). */
export function nodeResponseOf(c: Context): ServerResponse | undefined {
  return (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
}

/**
 * A request header, read from Node's already parsed headers when served by @hono/node-server: asking
 * Hono (`c.req.header`) builds a WHATWG Headers object for the request, a large share of a small
 * request's cost. Repeated headers read as Hono reads them (joined with ", "; Node keeps the first
 * Content-Type and Content-Length).
 *
 * @example
 * const key = requestHeader(c, 'idempotency-key');
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = nodeRequestOf(c);
  if (!incoming) return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
