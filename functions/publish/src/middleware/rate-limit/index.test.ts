import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { rateLimit } from './index';

function appWith(options: { ratePerSecond: number; burst: number; maxClients?: number }) {
  let nowMs = 0;
  const app = new Hono().use(rateLimit({ ...options, key: (c) => c.req.header('x-client') ?? 'anonymous', now: () => nowMs })).get('/', (c) => c.text('ok'));
  return {
    get: (client = 'a') => app.request('/', { headers: { 'x-client': client } }),
    advance: (ms: number) => void (nowMs += ms),
  };
}

describe('rateLimit', () => {
  it('allows a burst, then answers 429 with Retry-After and a JSON error', async () => {
    const { get } = appWith({ ratePerSecond: 1, burst: 3 });
    for (let i = 0; i < 3; i++) expect((await get()).status).toBe(200);
    const limited = await get();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await limited.json()).toMatchObject({ error: 'rate_limited' });
  });

  it('refills at the configured rate', async () => {
    const { get, advance } = appWith({ ratePerSecond: 2, burst: 2 });
    await get();
    await get();
    expect((await get()).status).toBe(429);
    advance(500);
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(429);
    advance(10_000);
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(429);
  });

  it('gives every client a bucket of its own', async () => {
    const { get } = appWith({ ratePerSecond: 1, burst: 1 });
    expect((await get('a')).status).toBe(200);
    expect((await get('a')).status).toBe(429);
    expect((await get('b')).status).toBe(200);
  });

  it('says how long to wait when the rate is below one a second', async () => {
    const { get } = appWith({ ratePerSecond: 0.1, burst: 1 });
    await get();
    expect((await get()).headers.get('retry-after')).toBe('10');
  });

  it('remembers at most maxClients clients, forgetting the least recently seen', async () => {
    const { get } = appWith({ ratePerSecond: 1, burst: 1, maxClients: 2 });
    await get('a');
    await get('b');
    await get('c'); // forgets a
    expect((await get('a')).status).toBe(200);
    expect((await get('c')).status).toBe(429);
  });
});
