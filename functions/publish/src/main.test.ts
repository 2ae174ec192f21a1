import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { queueSpecOf } from '@qfn/shared/platform';
import storeMessage from '@qfn/store-message';
import { rabbitmqHarness } from '../../../test/support/brokers';
import { createTestDatabase, databaseUrl, type TestDatabase } from '../../../test/support/database';
import { uniqueName } from '../../../test/support/names';
import { startFunctionProcess, type FunctionProcess } from '../../../test/support/process';

const entry = fileURLToPath(new URL('./main.ts', import.meta.url));
const valid = { ts: '19941114', sender: 'haimeng', messageAttributes: {}, sent_from_ip: '10.1.2.3', priority: 1 };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('the publish function as a process, started by runHttpFunction (RabbitMQ + Postgres)', () => {
  const prefix = uniqueName('publishmain');
  let database: TestDatabase;
  const processes: FunctionProcess[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(prefix);
    const admin = rabbitmqHarness.create(prefix);
    await admin.connect();
    await admin.provision(queueSpecOf(storeMessage));
    await admin.close();
  });

  afterEach(() => {
    for (const p of processes.splice(0)) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  });

  afterAll(async () => {
    await rabbitmqHarness.cleanup(prefix);
    await database.drop();
  });

  const start = (env: Record<string, string>) => {
    const started = startFunctionProcess(entry, { ...rabbitmqHarness.env(prefix), DATABASE_URL: databaseUrl, DATABASE_SCHEMA: prefix, ...env });
    processes.push(started);
    return started;
  };

  it('serves the API and its probes on PORT, then drains and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const publish = start({ PORT: String(port), SHUTDOWN_GRACE_PERIOD_SECONDS: '2' });
    const listening = await publish.waitForLog('listening', 30_000);
    expect(listening).toMatchObject({ port, function: 'publish', telemetry: false });
    expect(listening['coldStartMs']).toEqual(expect.any(Number));
    const base = `http://127.0.0.1:${port}`;
    const healthz = await fetch(`${base}/healthz`);
    expect([healthz.status, await healthz.json()]).toEqual([200, { status: 'ok' }]);
    const readyz = await fetch(`${base}/readyz`);
    expect([readyz.status, await readyz.json()]).toEqual([200, { status: 'ok', broker: true, database: true }]);
    const accepted = await fetch(`${base}/message/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(valid) });
    expect(accepted.status).toBe(202);
    expect(
      publish.logs.some((line) => line['msg'] === 'PUBLISH_API_TOKENS is not set: the message API accepts anyone (fine locally, never in a cluster)'),
    ).toBe(true);

    publish.child.kill('SIGTERM');
    expect(await publish.exited).toBe(0);
    const messages = publish.logs.map((line) => line['msg']);
    expect(messages).toContain('draining');
    expect(messages).toContain('stopped');
    expect(messages).not.toContain('shutdown step failed; the next steps run still');
  });

  it('exits 78 naming the variable when a token is unusable, before it listens', async () => {
    const publish = start({ PORT: String(await freePort()), PUBLISH_API_TOKENS: 'short' });
    let stderr = '';
    publish.child.stderr!.on('data', (chunk: string) => (stderr += chunk));
    expect(await publish.exited).toBe(78);
    expect(stderr).toMatch(/^configuration error: .*PUBLISH_API_TOKENS/m);
    expect(publish.logs.map((line) => line['msg'])).not.toContain('listening');
  });
});
