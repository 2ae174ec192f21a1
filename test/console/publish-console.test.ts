import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueSpecOf } from '@qfn/shared/platform';
import storeMessage from '@qfn/store-message';
import type { ConsoleSnapshot, ConsoleUpdate } from '../../console/server/model';
import { useConsumingBroker } from '../support/consuming';
import { uniqueName } from '../support/names';
import { createTestPublishApp } from '../support/publish-app';
import { serveOnLoopback, type LoopbackServer } from '../support/serve';
import { waitFor } from '../support/wait';

const token = 'publish-console-admin-token-0123456789';
const message = { ts: '19941114', sender: 'console', messageAttributes: {}, sent_from_ip: '10.0.0.1', priority: 1 };

describe('the console served by the publish function (RabbitMQ + Postgres, no Kubernetes access)', () => {
  const backends = useConsumingBroker({ prefix: uniqueName('pubconsole') });
  let server: LoopbackServer | undefined;
  let base: string;

  beforeAll(async () => {
    await backends.broker.provision(queueSpecOf(storeMessage));
    const app = createTestPublishApp(backends.broker, backends.database, {
      maxBodyBytes: 65536,
      // A short request timeout: the stream must outlive it.
      protection: { requestTimeoutMs: 1_000 },
      admin: { queues: [queueSpecOf(storeMessage)], tokens: [token] },
    });
    server = await serveOnLoopback(app.fetch);
    base = server.base;
  });

  afterAll(async () => {
    await server?.close();
  });

  it('streams the queue depth from the broker past the request timeout, and says why replicas are missing', async () => {
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${base}/message/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(message),
      });
      expect(response.status).toBe(202);
    }
    const controller = new AbortController();
    const response = await fetch(`${base}/console/api/stream`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    expect(response.status).toBe(200);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let snapshot: ConsoleSnapshot | undefined;
    const updates: ConsoleUpdate[] = [];
    const openedAt = Date.now();
    try {
      await waitFor(
        'a sample with the queue depth, after the request timeout',
        async () => {
          buffer += (await reader.read()).value ?? '';
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (!data) continue;
            if (block.startsWith('event: snapshot')) snapshot = JSON.parse(data) as ConsoleSnapshot;
            else updates.push(...(JSON.parse(data) as ConsoleUpdate[]));
          }
          // RabbitMQ's management API refreshes its counts every few seconds.
          return Date.now() - openedAt > 2_500 && updates.some((u) => u.type === 'sample' && (u.point.ready ?? 0) >= 5);
        },
        30_000,
        0,
      );
    } finally {
      controller.abort();
    }
    expect(snapshot!.installation.mode).toBe('kubernetes');
    expect(snapshot!.functions.map((fn) => fn.name)).toEqual(['store-message']);
    const warnings = [...snapshot!.warnings, ...updates.flatMap((u) => (u.type === 'warnings' ? u.warnings : []))];
    expect(warnings.join()).toContain('the console has no Kubernetes access');
    const sample = updates.find((u) => u.type === 'sample' && (u.point.ready ?? 0) >= 5) as Extract<ConsoleUpdate, { type: 'sample' }>;
    expect(sample.point).toMatchObject({ desired: null, readyReplicas: null });
  }, 60_000);
});
