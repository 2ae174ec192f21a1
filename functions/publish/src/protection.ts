import type { Duplex } from 'node:stream';
import type { Context, Env, Hono, MiddlewareHandler } from 'hono';
import { timeout } from 'hono/timeout';
import type { AppEnv } from './app-env';
import { ApiError, type ErrorBody } from './errors';
import { tokenAuth } from './middleware/auth/index';
import { rateLimit } from './middleware/rate-limit/index';
import { secureResponseHeaders } from './middleware/secure-headers/index';
import { nodeRequestOf } from './node-request';

export interface ProtectionOptions {
  /** Tokens of the message API (`POST /message/publish`, `GET /message…`) and of `POST /events/{type}`. Empty or absent: open. */
  publishTokens?: readonly string[];
  /** Per-client token bucket on the message API and `POST /events/{type}`, shared (client = its token, else its address). Absent: no limit. */
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
export function protect(app: Hono<AppEnv>, options: ProtectionOptions): void {
  const timeoutMs = options.requestTimeoutMs ?? defaultRequestTimeoutMs;
  app.use(secureResponseHeaders());
  app.use(timeout(timeoutMs, (c) => timedOut(c, timeoutMs)));
  // POST /events/{type} publishes as /message/publish does: the same tokens, and one bucket per client across
  // both. The catalog (GET /events…) stays open, as the API description does: producers read it to validate.
  const onPublish =
    <E extends Env>(middleware: MiddlewareHandler<E>): MiddlewareHandler<E> =>
    (c, next) =>
      c.req.method === 'POST' ? middleware(c, next) : next();
  if (options.publishTokens?.length) {
    const auth = tokenAuth({ tokens: options.publishTokens, realm: 'qfn-publish' });
    app.use('/message/*', auth);
    app.use('/events/*', onPublish(auth));
  }
  if (options.rateLimit) {
    const limit = rateLimit({ ...options.rateLimit, key: clientKey });
    app.use('/message/*', limit);
    app.use('/events/*', onPublish(limit));
  }
}

/** The client a request comes from: the token it authenticated with, else the address it connected from. */
function clientKey(c: Context<AppEnv>): string {
  const clientId = c.get('clientId');
  if (clientId) return clientId;
  return `ip:${nodeRequestOf(c)?.socket?.remoteAddress ?? 'unknown'}`;
}

/** 408 when the client had not even finished sending its request, else 503 (we were too slow). */
function timedOut(c: Context, timeoutMs: number): ApiError {
  const incoming = nodeRequestOf(c);
  if (incoming && !incoming.complete) return new ApiError(408, 'request_timeout', `the request did not arrive within ${timeoutMs} ms`);
  const message = `no answer within ${timeoutMs} ms; the message may or may not have been published: retry with the same Idempotency-Key`;
  return new ApiError(503, 'request_timeout', message, { headers: { 'retry-after': '1' } });
}

/**
 * Requests Node's HTTP parser refuses before the app sees them (a broken Content-Length or chunk, an
 * oversized header) get the same JSON error shape as everything else, instead of Node's bare 400.
 *
 * @example
 * answerClientErrorsWithJson(serve({ fetch: app.fetch, port: 3000 }));
 */
export function answerClientErrorsWithJson(server: {
  on(event: 'clientError', listener: (error: Error & { code?: string }, socket: Duplex) => void): unknown;
}): void {
  server.on('clientError', (error, socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const [status, reason, code] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'headers_too_large']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'request_timeout']
          : [400, 'Bad Request', 'bad_request'];
    const body = JSON.stringify({ error: code, message: `the HTTP request could not be read (${error.code ?? 'unknown'})` } satisfies ErrorBody);
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
}
