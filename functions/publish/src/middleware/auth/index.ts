import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../../errors';

export interface TokenAuthOptions {
  /** Accepted tokens (API keys); at least one. */
  tokens: readonly string[];
  /** Named in the `WWW-Authenticate` challenge. */
  realm: string;
}

/** Set for the routes behind tokenAuth: a stable, non-secret name of the token that was presented. */
export type TokenAuthVariables = { clientId: string };

/** Longest credential header looked at; anything longer is refused unread. */
const maxCredentialLength = 1024;

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/** `token:` and the first 12 hex digits of the token's SHA-256: safe to log and to key rate limits by. */
export function clientIdOf(token: string): string {
  return `token:${digest(token).toString('hex').slice(0, 12)}`;
}

/**
 * Requires `Authorization: Bearer <token>` or `X-API-Key: <token>` with one of the configured tokens,
 * throwing a 401 ApiError with a `WWW-Authenticate` challenge otherwise. Tokens are compared
 * as SHA-256 digests with `timingSafeEqual`, against every configured token, so neither the length
 * nor the first differing byte of a guess shows in the response time.
 *
 * @example
 * app.use('/message/*', tokenAuth({ tokens: ['s3cret-token-of-32-characters..'], realm: 'qfn-publish' }));
 */
export function tokenAuth(options: TokenAuthOptions): MiddlewareHandler<{ Variables: TokenAuthVariables }> {
  if (options.tokens.length === 0) throw new Error('tokenAuth needs at least one token');
  const accepted = options.tokens.map((token) => ({ hash: digest(token), clientId: clientIdOf(token) }));
  const challenge = `Bearer realm="${options.realm}"`;

  return async (c, next) => {
    const presented = credentialOf(c.req.header('authorization'), c.req.header('x-api-key'));
    if (presented === undefined) {
      throw new ApiError(401, 'unauthorized', 'a token is required: Authorization: Bearer <token> or X-API-Key: <token>', {
        headers: { 'www-authenticate': challenge },
      });
    }
    const hash = digest(presented);
    let match: string | undefined;
    for (const candidate of accepted) {
      // No early exit: every configured token is compared on every request.
      if (timingSafeEqual(hash, candidate.hash)) match = candidate.clientId;
    }
    if (match === undefined) {
      throw new ApiError(401, 'unauthorized', 'the token is not valid', { headers: { 'www-authenticate': `${challenge}, error="invalid_token"` } });
    }
    c.set('clientId', match);
    await next();
  };
}

function credentialOf(authorization: string | undefined, apiKey: string | undefined): string | undefined {
  if (authorization !== undefined && authorization.length <= maxCredentialLength) {
    const bearer = /^Bearer +(\S+) *$/i.exec(authorization);
    if (bearer) return bearer[1];
  }
  if (apiKey !== undefined && apiKey.length > 0 && apiKey.length <= maxCredentialLength) return apiKey.trim();
  return undefined;
}
