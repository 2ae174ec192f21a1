import type { TokenAuthVariables } from './middleware/auth/index';
import type { JsonBodyVariables } from './middleware/json-body/index';

/**
 * What the publish API's middleware puts on the request context: `clientId` behind tokenAuth (absent
 * on open routes and when no token is configured), `jsonBody` behind jsonBody.
 *
 * @example
 * new Hono<AppEnv>().post('/x', jsonBody({ maxBytes: 1024 }), (c) => c.json({ from: c.get('clientId') ?? 'anyone' }));
 */
export type AppEnv = { Variables: Partial<TokenAuthVariables> & JsonBodyVariables };
