import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secureHeaderValues, secureResponseHeaders } from './index';

const routes = (app: Hono) =>
  app
    .get('/json', (c) => c.json({ ok: true }, 202))
    .get('/raw', () => new Response('made elsewhere', { status: 503, headers: { 'retry-after': '1' } }))
    .get('/throws', () => {
      throw new HTTPException(408, { res: new Response('late', { status: 408 }) });
    })
    .notFound((c) => c.json({ error: 'not_found' }, 404))
    .onError((error, c) => (error instanceof HTTPException ? error.getResponse() : c.text('boom', 500)));

const securityHeaders = (response: Response) =>
  Object.fromEntries([...response.headers].filter(([name]) => secureHeaderValues.some(([known]) => known === name) || name === 'cross-origin-embedder-policy'));

describe('secureResponseHeaders', () => {
  it('sends exactly what hono/secure-headers sends by default', async () => {
    const reference = routes(new Hono().use(secureHeaders()));
    const ours = routes(new Hono().use(secureResponseHeaders()));
    for (const path of ['/json', '/raw', '/throws', '/missing']) {
      const expected = securityHeaders(await reference.request(path));
      expect(Object.keys(expected).length).toBeGreaterThan(5);
      expect(securityHeaders(await ours.request(path))).toEqual(expected);
    }
  });

  describe("on a Node server (headers set on Node's response)", () => {
    let server: ServerType;
    let base = '';
    beforeAll(async () => {
      const app = routes(new Hono().use(secureResponseHeaders()));
      await new Promise<void>((resolve) => {
        server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
          base = `http://127.0.0.1:${info.port}`;
          resolve();
        });
      });
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('puts them on every answer: routes, Responses made elsewhere, errors, not found', async () => {
      const expected = Object.fromEntries(secureHeaderValues);
      for (const [path, status] of [
        ['/json', 202],
        ['/raw', 503],
        ['/throws', 408],
        ['/missing', 404],
      ] as const) {
        const response = await fetch(base + path);
        expect(response.status).toBe(status);
        expect(securityHeaders(response)).toEqual(expected);
      }
      const raw = await fetch(`${base}/raw`);
      expect(raw.headers.get('retry-after')).toBe('1');
      expect(await raw.text()).toBe('made elsewhere');
    });
  });
});
