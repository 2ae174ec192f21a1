import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { type FunctionWorker, queueSpecOf, uuidv7 } from '@qfn/shared/platform';
import { effectsFunction, effectsTable } from '../../../../test/fixtures/effects';
import { brokerHarnesses } from '../../../../test/support/brokers';
import { seedDeadLetters } from '../../../../test/support/dead-letters';
import { useConsumingBroker } from '../../../../test/support/consuming';
import { uniqueName } from '../../../../test/support/names';
import { createTestPublishApp } from '../../../../test/support/publish-app';
import { waitFor } from '../../../../test/support/wait';

const adminToken = 'admin-token-0123456789abcdef';
const publishToken = 'publish-token-0123456789abcdef';

describe.each(brokerHarnesses)('dead-letter admin API on $kind', (harness) => {
  const prefix = uniqueName('admin');
  const fixture = useConsumingBroker({ prefix, harness });
  let worker: FunctionWorker | undefined;
  const fn = effectsFunction({ name: 'dlq-admin', poisonSender: 'mallory' });
  const spec = queueSpecOf(fn);
  const poison = [uuidv7(), uuidv7(), uuidv7()];
  let app: ReturnType<typeof createTestPublishApp>;

  beforeAll(async () => {
    await fixture.database.db.execute(effectsTable);
    worker = await seedDeadLetters({
      declaration: fn,
      broker: fixture.broker,
      db: fixture.database.db,
      ids: poison,
      data: { ts: '19941114', sender: 'mallory', messageAttributes: {}, sent_from_ip: '10.0.0.1', priority: 1 },
    });
    app = createTestPublishApp(fixture.broker, fixture.database, {
      maxBodyBytes: 4096,
      protection: { publishTokens: [publishToken] },
      admin: { queues: [spec], tokens: [adminToken] },
    });
  }, 60_000);

  afterAll(async () => {
    await worker?.stop({ timeoutMs: 2_000 });
  });

  const admin = (path: string, init: RequestInit = {}, token = adminToken) =>
    app.request(path, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });

  it('requires the admin token: not a publish token, not none', async () => {
    expect((await app.request('/admin/dlq')).status).toBe(401);
    expect((await admin('/admin/dlq', {}, publishToken)).status).toBe(401);
    expect((await admin('/admin/dlq')).status).toBe(200);
  });

  it('is off (403) when no admin token is configured', async () => {
    const closed = createTestPublishApp(fixture.broker, fixture.database, { maxBodyBytes: 4096, admin: { queues: [spec], tokens: [] } });
    const res = await closed.request('/admin/dlq', { headers: { authorization: `Bearer ${adminToken}` } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'admin_disabled' });
  });

  it('lists the functions and their dead letters with reason and attempts, removing nothing', async () => {
    expect(await (await admin('/admin/dlq')).json()).toEqual({ functions: [{ name: 'dlq-admin', subscribes: ['message.published'], maxAttempts: 3 }] });
    const list = (await (await admin('/admin/dlq/dlq-admin?limit=2')).json()) as {
      count: number;
      items: { eventId: string; reason: string; attempts: number; body: { data: { sender: string } } }[];
    };
    expect(list.count).toBe(2);
    // SQS keeps no order: any two of the three poison messages.
    for (const item of list.items) {
      expect(poison).toContain(item.eventId);
      expect(item).toMatchObject({ attempts: 1, body: { id: item.eventId, data: { sender: 'mallory' } } });
      expect(item.reason).toMatch(/permanent failure: PermanentError: sender mallory is poison/);
    }
    expect(new Set(list.items.map((i) => i.eventId)).size).toBe(2);
    expect(await fixture.broker.listDeadLetters(spec, 10)).toHaveLength(3);
  });

  it('shows one dead letter in full, 404 for an unknown one or function', async () => {
    const one = await admin(`/admin/dlq/dlq-admin/${poison[1]}`);
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ eventId: poison[1], attempts: 1, body: { id: poison[1] } });
    expect((await admin(`/admin/dlq/dlq-admin/${uuidv7()}`)).status).toBe(404);
    const unknown = await admin('/admin/dlq/nope');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'unknown_function' });
  });

  it('rejects bad parameters with the error shape', async () => {
    const res = await admin('/admin/dlq/dlq-admin?limit=0&color=red');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { issues: { path: string }[] }).issues.map((i) => i.path).sort()).toEqual(['color', 'limit']);
  });

  it('replays some, keeping ids (the poison fails again and comes back), and purges only when confirmed', async () => {
    const replayed = await admin('/admin/dlq/dlq-admin/replay?limit=1', { method: 'POST' });
    expect(await replayed.json()).toEqual({ function: 'dlq-admin', replayed: 1 });
    await waitFor('the replayed message back in the DLQ', async () => {
      const letters = await fixture.broker.listDeadLetters(spec, 10);
      return letters.length === 3 && letters.some((l) => l.eventId === poison[0]);
    });

    // Without a limit: every message there now.
    expect(await (await admin('/admin/dlq/dlq-admin/replay', { method: 'POST' })).json()).toEqual({ function: 'dlq-admin', replayed: 3 });
    await waitFor('all three back in the DLQ', async () => (await fixture.broker.listDeadLetters(spec, 10)).length === 3);

    const refused = await admin('/admin/dlq/dlq-admin', { method: 'DELETE' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'confirmation_required' });
    expect((await admin('/admin/dlq/dlq-admin?confirm=other', { method: 'DELETE' })).status).toBe(400);
    expect(await fixture.broker.listDeadLetters(spec, 10)).toHaveLength(3);

    const purged = await admin('/admin/dlq/dlq-admin?confirm=dlq-admin', { method: 'DELETE' });
    expect(await purged.json()).toEqual({ function: 'dlq-admin', purged: 3 });
    expect(await fixture.broker.listDeadLetters(spec, 10)).toHaveLength(0);
    expect(await fixture.database.db.execute(sql`select * from effects`)).toHaveLength(0);
  });
});
