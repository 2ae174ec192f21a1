import type { IncomingMessage } from 'node:http';
import type { Context, Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import { timeout } from 'hono/timeout';
import type { ErrorBody } from './errors';
import { tokenAuth } from './middleware/auth/index';
import { rateLimit } from './middleware/rate-limit/index';

export interface ProtectionOptions {
  /** Tokens of the message API (`POST /message/publish`, `GET /message…`). Empty or absent: open. */
  publishTokens?: readonly string[];
  /** Per-client token bucket on the message API (client = its token, else its address). Absent: no limit. */
  rateLimit?: { ratePerSecond: number; burst: number };
  /** Longest a request may take before it is answered 503; default 10 s. */
  requestTimeoutMs?: number;
}

export const defaultRequestTimeoutMs = 10_000;

/**
 * Installs, before any route: secure response headers and a request timeout everywhere, and on the
 * message API token authentication and a per-client rate limit when configured. Health, OpenAPI
 * and docs stay open; the admin routes carry their own (separate) authentication.
 *
 * @example
 * const app = new Hono();
 * protect(app, { publishTokens: credentials.publishTokens, rateLimit: { ratePerSecond: 50, burst: 100 } });
 */
export function protect(app: Hono, options: ProtectionOptions): void {
  const timeoutMs = options.requestTimeoutMs ?? defaultRequestTimeoutMs;
  app.use(secureHeaders());
  app.use(timeout(timeoutMs, () => timedOut(timeoutMs)));
  if (options.publishTokens?.length) app.use('/message/*', tokenAuth({ tokens: options.publishTokens, realm: 'qfn-publish' }));
  if (options.rateLimit) app.use('/message/*', rateLimit({ ...options.rateLimit, key: clientKey }));
}

/** The client a request comes from: the token it authenticated with, else the address it connected from. */
function clientKey(c: Context): string {
  const clientId = c.get('clientId' as never) as string | undefined;
  if (clientId) return clientId;
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return `ip:${incoming?.socket?.remoteAddress ?? 'unknown'}`;
}

function timedOut(timeoutMs: number): HTTPException {
  const body: ErrorBody = {
    error: 'request_timeout',
    message: `no answer within ${timeoutMs} ms; the message may or may not have been published: retry with the same Idempotency-Key`,
  };
  return new HTTPException(503, {
    res: new Response(JSON.stringify(body), { status: 503, headers: { 'content-type': 'application/json', 'retry-after': '1' } }),
  });
}
