import type { Context, Env, MiddlewareHandler } from 'hono';
import { ApiError } from '../../errors';

export interface RateLimitOptions<E extends Env = Env> {
  /** Sustained requests per second one client may make. */
  ratePerSecond: number;
  /** Requests a client may make at once after being idle: the bucket's size. */
  burst: number;
  /** Names the client a request comes from (its token, its address). */
  key: (c: Context<E>) => string;
  /** Clients remembered at most; the least recently seen is forgotten first, so memory stays bounded. */
  maxClients?: number;
  /** Milliseconds clock (tests pass a fake one). */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/**
 * A token bucket per client: each request takes one token, tokens come back at `ratePerSecond` up to
 * `burst`. An empty bucket throws a 429 ApiError with `Retry-After` (seconds until a token is back).
 *
 * @example
 * app.use('/message/*', rateLimit({ ratePerSecond: 50, burst: 100, key: (c) => c.var.clientId ?? 'anonymous' }));
 */
export function rateLimit<E extends Env = Env>(options: RateLimitOptions<E>): MiddlewareHandler<E> {
  if (!(options.ratePerSecond > 0) || !(options.burst >= 1)) throw new Error('rateLimit needs ratePerSecond > 0 and burst >= 1');
  const maxClients = options.maxClients ?? 10_000;
  const now = options.now ?? (() => performance.now());
  const buckets = new Map<string, Bucket>();

  const take = (key: string): number => {
    const at = now();
    const bucket = buckets.get(key) ?? { tokens: options.burst, updatedMs: at };
    bucket.tokens = Math.min(options.burst, bucket.tokens + ((at - bucket.updatedMs) / 1000) * options.ratePerSecond);
    bucket.updatedMs = at;
    // Re-inserting keeps the Map in least-recently-seen order: the first key is the one to forget.
    buckets.delete(key);
    buckets.set(key, bucket);
    if (buckets.size > maxClients) buckets.delete(buckets.keys().next().value!);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / options.ratePerSecond);
  };

  return async (c, next) => {
    const retryAfterSeconds = take(options.key(c));
    if (retryAfterSeconds > 0) {
      throw new ApiError(429, 'rate_limited', `too many requests from this client; retry in ${retryAfterSeconds} s`, {
        headers: { 'retry-after': String(retryAfterSeconds) },
      });
    }
    await next();
  };
}
