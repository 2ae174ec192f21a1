import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { clientIdOf, tokenAuth, type TokenAuthVariables } from './index';

const tokens = ['first-token-0123456789abcdef', 'second-token-0123456789abcdef'];
const app = new Hono<{ Variables: TokenAuthVariables }>()
  .use('/private/*', tokenAuth({ tokens, realm: 'test' }))
  .get('/private/who', (c) => c.json({ clientId: c.var.clientId }))
  .get('/public', (c) => c.text('open'));

const get = (path: string, headers: Record<string, string> = {}) => app.request(path, { headers });

describe('tokenAuth', () => {
  it('lets a request with any configured bearer token through and names its client', async () => {
    for (const token of tokens) {
      const res = await get('/private/who', { authorization: `Bearer ${token}` });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ clientId: clientIdOf(token) });
    }
    expect(clientIdOf(tokens[0]!)).toMatch(/^token:[0-9a-f]{12}$/);
    expect(clientIdOf(tokens[0]!)).not.toContain(tokens[0]!.slice(0, 6));
  });

  it('accepts the token as X-API-Key and a lower-case scheme', async () => {
    expect((await get('/private/who', { 'x-api-key': tokens[1]! })).status).toBe(200);
    expect((await get('/private/who', { authorization: `bearer ${tokens[0]}` })).status).toBe(200);
  });

  it('answers 401 with a JSON error and a challenge when the token is missing', async () => {
    const res = await get('/private/who');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="test"');
    expect(await res.json()).toMatchObject({ error: 'unauthorized' });
  });

  it('refuses wrong, truncated, extended, differently cased and oversized tokens', async () => {
    const wrong = ['nope', tokens[0]!.slice(0, -1), `${tokens[0]}x`, tokens[0]!.toUpperCase(), `${tokens[0]},${tokens[1]}`, 'x'.repeat(5000)];
    for (const token of wrong) {
      const res = await get('/private/who', { authorization: `Bearer ${token}` });
      expect(res.status, token.slice(0, 40)).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'unauthorized' });
    }
    const invalid = await get('/private/who', { authorization: 'Bearer nope' });
    expect(invalid.headers.get('www-authenticate')).toBe('Bearer realm="test", error="invalid_token"');
    expect((await get('/private/who', { authorization: `Basic ${btoa(`user:${tokens[0]}`)}` })).status).toBe(401);
  });

  it('leaves other routes open', async () => {
    expect((await get('/public')).status).toBe(200);
  });

  it('refuses to be set up without tokens', () => {
    expect(() => tokenAuth({ tokens: [], realm: 'x' })).toThrow(/at least one token/);
  });
});
