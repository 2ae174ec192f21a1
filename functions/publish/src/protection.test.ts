import { connect } from 'node:net';
import { serve } from '@hono/node-server';
import { describe, expect, it } from 'vitest';
import { createTestPublishApp } from '../../../test/support/publish-app';
import { uniqueName } from '../../../test/support/names';
import { usePublishBackends, useProxiedBroker } from '../test/publish-fixture';
import type { PublishAppOptions } from './app';

const valid = { ts: '19941114', sender: 'haimeng', messageAttributes: {}, sent_from_ip: '10.1.2.3', priority: 1 };
const publishToken = 'publish-token-0123456789abcdef';
const adminToken = 'admin-token-0123456789abcdef';

describe('publish API protection (RabbitMQ + Postgres)', () => {
  const prefix = uniqueName('protect');
  const backends = usePublishBackends(prefix);
  const stalled = useProxiedBroker(prefix, `${prefix}-stalled`);

  const appWith = (extra: Partial<PublishAppOptions> = {}) => createTestPublishApp(backends.broker, backends.database, { maxBodyBytes: 4096, ...extra });
  const publish = (app: ReturnType<typeof appWith>, headers: Record<string, string> = {}) =>
    app.request('/message/publish', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(valid) });

  it('requires a publish token on the message API when tokens are configured', async () => {
    const app = appWith({ protection: { publishTokens: [publishToken] }, admin: { queues: [], tokens: [adminToken] } });
    const anonymous = await publish(app);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: 'unauthorized' });
    expect((await publish(app, { authorization: `Bearer ${adminToken}` })).status).toBe(401);
    const accepted = await publish(app, { authorization: `Bearer ${publishToken}` });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };
    expect((await app.request(`/message/${id}`)).status).toBe(401);
    expect((await app.request('/message?limit=1')).status).toBe(401);
    expect((await app.request('/message?limit=1', { headers: { 'x-api-key': publishToken } })).status).toBe(200);
  });

  it('asks the same publish token on POST /events/{type}, counts it in the same rate limit, and leaves the catalog open', async () => {
    const app = appWith({ protection: { publishTokens: [publishToken], rateLimit: { ratePerSecond: 0.5, burst: 2 } } });
    const publishEvent = (headers: Record<string, string> = {}) =>
      app.request('/events/message.published', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(valid) });
    const anonymous = await publishEvent();
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ error: 'unauthorized' });
    expect((await publishEvent({ authorization: `Bearer ${adminToken}` })).status).toBe(401);
    const client = { authorization: `Bearer ${publishToken}` };
    expect((await publishEvent(client)).status).toBe(202);
    expect((await publish(app, client)).status).toBe(202);
    // The bucket (burst 2) is the client's, whichever route it publishes through.
    const limited = await publishEvent(client);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error: 'rate_limited' });
    for (const path of ['/events', '/events/message.published']) expect((await app.request(path)).status, path).toBe(200);
  });

  it('leaves health, readiness and the API description open', async () => {
    const app = appWith({ protection: { publishTokens: [publishToken] } });
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/docs']) expect((await app.request(path)).status, path).toBe(200);
  });

  it('is open when no token is configured (local use)', async () => {
    expect((await publish(appWith())).status).toBe(202);
  });

  it('sends secure headers on every answer, errors included', async () => {
    const app = appWith({ protection: { publishTokens: [publishToken] } });
    for (const response of [await publish(app), await app.request('/healthz'), await app.request('/nope')]) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(response.headers.get('strict-transport-security')).toMatch(/max-age=/);
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('x-powered-by')).toBeNull();
    }
  });

  it('limits each client to its rate, answering 429 with Retry-After', async () => {
    const app = appWith({ protection: { publishTokens: [publishToken, `${publishToken}-2`], rateLimit: { ratePerSecond: 0.5, burst: 2 } } });
    const first = { authorization: `Bearer ${publishToken}` };
    expect((await publish(app, first)).status).toBe(202);
    expect((await publish(app, first)).status).toBe(202);
    const limited = await publish(app, first);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(await limited.json()).toMatchObject({ error: 'rate_limited' });
    // Another token is another client.
    expect((await publish(app, { authorization: `Bearer ${publishToken}-2` })).status).toBe(202);
  });

  it('answers 408 when the client does not finish sending its body in time', async () => {
    const app = appWith({ protection: { requestTimeoutMs: 300 } });
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        let data = '';
        socket.on('data', (chunk) => (data += chunk));
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
        // Announces 100 bytes, sends 10, then waits.
        socket.write('POST /message/publish HTTP/1.1\r\nhost: t\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"ts":"199');
        setTimeout(() => socket.end(), 2_000);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(JSON.parse(/\{.*\}/s.exec(answer)![0])).toMatchObject({ error: 'request_timeout' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('answers 503 request_timeout when the broker does not confirm in time, never 202', async () => {
    const app = appWith({ broker: stalled().broker, protection: { requestTimeoutMs: 300 } });
    expect((await publish(app)).status).toBe(202);
    stalled().proxy.pause();
    try {
      const started = performance.now();
      const response = await publish(app);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(await response.json()).toMatchObject({ error: 'request_timeout' });
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    } finally {
      stalled().proxy.resume();
    }
  });
});
