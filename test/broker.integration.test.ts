/**
 * The runtime's guarantees, on every broker: the same file runs against RabbitMQ and SQS.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { fileURLToPath } from 'node:url';
import { type BrokerWithAdmin, encodeEnvelope, type FunctionDeclaration, FunctionWorker, queueSpecOf, uuidv7 } from '@qfn/shared/platform';
import storeMessage from '@qfn/store-message';
import { createPublishApp } from '@qfn/publish';
import { batchEffectsFunction, effectsFunction, effectsTable } from './fixtures/effects';
import { brokerHarnesses } from './support/brokers';
import { createTestDatabase, type TestDatabase } from './support/database';
import { uniqueName } from './support/names';
import { startFunctionProcess } from './support/process';
import { waitFor } from './support/wait';

const silent = pino({ level: 'silent' });
const message = (sender = 'haimeng', extra: Record<string, unknown> = {}) => ({
  ts: '19941114',
  sender,
  messageAttributes: { publisher: 'test' },
  sent_from_ip: '10.0.0.1',
  priority: 1,
  ...extra,
});
const effectsEntry = fileURLToPath(new URL('./fixtures/effects-main.ts', import.meta.url));

describe.each(brokerHarnesses)('on $kind', (harness) => {
  let prefix: string;
  let database: TestDatabase;
  let broker: BrokerWithAdmin;
  const workers: FunctionWorker[] = [];

  beforeAll(() => harness.setUp(), 60_000);
  afterAll(() => harness.tearDown());

  async function setUp(label: string) {
    prefix = uniqueName(label);
    database = await createTestDatabase(prefix);
    await database.db.execute(effectsTable);
    broker = harness.create(prefix);
    await broker.connect();
  }

  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.stop({ timeoutMs: 2_000 });
    await broker?.close();
    await harness.cleanup(prefix);
    await database?.drop();
  });

  async function startWorker(declaration: FunctionDeclaration, workerBroker = broker) {
    const worker = new FunctionWorker({ declaration, broker: workerBroker, db: database.db, log: silent });
    await worker.start();
    workers.push(worker);
    return worker;
  }

  function publishEnvelope(id: string, data: unknown, type = 'message.published') {
    return broker.publish({ id, type, body: encodeEnvelope({ id, type, time: new Date().toISOString(), data }) });
  }

  const effects = async (fn: string) =>
    (await database.db.execute(sql`select event_id, attempt from effects where function_name = ${fn} order by at`)) as unknown as {
      event_id: string;
      attempt: number;
    }[];

  it('publishes over HTTP, stores the message and reads it back with who processed it', async () => {
    await setUp('roundtrip');
    await startWorker(storeMessage);
    const app = createPublishApp({ broker, queueAdmin: broker, db: database.db, pingDatabase: database.ping, log: silent, maxBodyBytes: 65536 });

    const response = await app.request('/message/publish', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message()),
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };

    const stored = await waitFor('the stored message', async () => {
      const res = await app.request(`/message/${id}`);
      return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : undefined;
    });
    expect(stored).toMatchObject({ id, sender: 'haimeng', ts: '19941114', priority: 1, processedBy: ['store-message'] });
    const list = (await (await app.request('/message?sender=haimeng&limit=5')).json()) as { items: { id: string }[] };
    expect(list.items.map((i) => i.id)).toEqual([id]);
  });

  it('processes an event delivered twice only once', async () => {
    await setUp('duplicate');
    const fn = effectsFunction({ name: 'count-effects' });
    await broker.provision(queueSpecOf(fn));
    const id = uuidv7();
    await publishEnvelope(id, message());
    await publishEnvelope(id, message());
    await publishEnvelope(uuidv7(), message());
    await startWorker(fn);

    await waitFor('both events', async () => (await effects('count-effects')).length >= 2);
    await waitFor('an empty queue', async () => {
      const depth = await broker.queueDepth(queueSpecOf(fn));
      return depth.ready + depth.inFlight === 0;
    });
    const rows = await effects('count-effects');
    expect(rows.filter((r) => r.event_id === id)).toHaveLength(1);
    expect(rows).toHaveLength(2);
  });

  it('retries a handler that throws, then dead-letters it with the reason and the attempt count', async () => {
    await setUp('retry');
    const fn = effectsFunction({ name: 'always-fails', failUntilAttempt: 99 });
    await startWorker(fn);
    const id = uuidv7();
    await publishEnvelope(id, message());

    const [letter] = await waitFor('a dead letter', () => broker.listDeadLetters(queueSpecOf(fn), 10).then((l) => (l.length ? l : undefined)));
    expect(letter!.eventId).toBe(id);
    expect(letter!.attempts).toBe(3);
    expect(letter!.reason).toMatch(/failed 3 of 3 attempts; last error: Error: simulated failure on attempt 3/);
    expect(await effects('always-fails')).toHaveLength(0);
    // The status table and the console count it (RabbitMQ's management API refreshes its counts every few seconds).
    await waitFor('the dead letter in the queue depth', async () => ((await broker.queueDepth(queueSpecOf(fn))).deadLettered === 1 ? true : undefined), 20_000);
  });

  it('succeeds on a later attempt after failures', async () => {
    await setUp('recover');
    const fn = effectsFunction({ name: 'flaky', failUntilAttempt: 2 });
    await startWorker(fn);
    await publishEnvelope(uuidv7(), message());
    const rows = await waitFor('the effect', async () => ((await effects('flaky')).length ? effects('flaky') : undefined));
    expect(rows).toEqual([expect.objectContaining({ attempt: 3 })]);
  });

  it('dead-letters a message that fails schema validation at once', async () => {
    await setUp('invalid');
    const fn = effectsFunction({ name: 'validates' });
    await startWorker(fn);
    const id = uuidv7();
    await publishEnvelope(id, message('x', { priority: 'high' }));

    const [letter] = await waitFor('a dead letter', () => broker.listDeadLetters(queueSpecOf(fn), 10).then((l) => (l.length ? l : undefined)));
    expect(letter).toMatchObject({ eventId: id, attempts: 1 });
    expect(letter!.reason).toMatch(/schema validation failed.*priority/s);
  });

  it('dead-letters a permanent failure without retrying, and replays it on request', async () => {
    await setUp('poison');
    const fn = effectsFunction({ name: 'poison', poisonSender: 'mallory' });
    await startWorker(fn);
    const poisonId = uuidv7();
    await publishEnvelope(poisonId, message('mallory'));
    const good = [uuidv7(), uuidv7(), uuidv7()];
    for (const id of good) await publishEnvelope(id, message('alice'));

    await waitFor('good messages', async () => (await effects('poison')).length === 3);
    const [letter] = await waitFor('a dead letter', () => broker.listDeadLetters(queueSpecOf(fn), 10).then((l) => (l.length ? l : undefined)));
    expect(letter).toMatchObject({ eventId: poisonId, attempts: 1 });
    expect(letter!.reason).toMatch(/permanent failure: PermanentError: sender mallory is poison/);
    // Listing does not consume.
    expect(await broker.listDeadLetters(queueSpecOf(fn), 10)).toHaveLength(1);

    expect(await broker.replayDeadLetters(queueSpecOf(fn), 10)).toBe(1);
    await waitFor('the replayed message back in the DLQ', async () => {
      const letters = await broker.listDeadLetters(queueSpecOf(fn), 10);
      return letters.length === 1 && letters[0]!.eventId === poisonId;
    });
    expect(await broker.purgeDeadLetters(queueSpecOf(fn))).toBe(1);
    expect(await broker.listDeadLetters(queueSpecOf(fn), 10)).toHaveLength(0);
  });

  it('commits the items of a batch that succeeded and retries only the ones that failed', async () => {
    await setUp('batch');
    const fn = batchEffectsFunction('batcher', ['bob']);
    await broker.provision(queueSpecOf(fn));
    const senders = ['alice', 'bob', 'carol', 'bob', 'dave', 'erin', 'frank', 'bob'];
    for (const sender of senders) await publishEnvelope(uuidv7(), message(sender));
    await startWorker(fn);

    const rows = await waitFor('every item', async () => ((await effects('batcher')).length === senders.length ? effects('batcher') : undefined));
    expect(new Set(rows.map((r) => r.event_id)).size).toBe(senders.length);
    expect(rows.filter((r) => r.attempt === 2)).toHaveLength(3);
    expect(rows.filter((r) => r.attempt === 1)).toHaveLength(5);
  });

  it('drains on SIGTERM: nothing lost, nothing processed twice', async () => {
    await setUp('drain');
    const name = 'slow-effects';
    const fn = effectsFunction({ name });
    await broker.provision(queueSpecOf(fn));
    const ids = Array.from({ length: 300 }, () => uuidv7());
    await Promise.all(ids.map((id) => publishEnvelope(id, message())));

    const env = { ...harness.env(prefix), DATABASE_SCHEMA: prefix, FIXTURE_NAME: name, FIXTURE_WORK_MS: '20', SHUTDOWN_GRACE_PERIOD_SECONDS: '10' };
    const first = startFunctionProcess(effectsEntry, env);
    await first.waitForLog('consuming', 30_000);
    await waitFor('some progress', async () => (await effects(name)).length >= 50);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.logs.find((l) => l['msg'] === 'stopped')).toMatchObject({ drained: true });
    const afterFirst = (await effects(name)).length;
    expect(afterFirst).toBeLessThan(ids.length);

    const second = startFunctionProcess(effectsEntry, env);
    await waitFor('every message', async () => (await effects(name)).length >= ids.length, 60_000);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const rows = await effects(name);
    expect(rows).toHaveLength(ids.length);
    expect(new Set(rows.map((r) => r.event_id))).toEqual(new Set(ids));
  }, 120_000);

  it.runIf(harness.dropConnections)(
    'reconnects after the broker drops its connection and carries on',
    async () => {
      await setUp('reconnect');
      const fn = effectsFunction({ name: 'survivor' });
      const workerBroker = harness.create(prefix, `${prefix}-worker`);
      await workerBroker.connect();
      await startWorker(fn, workerBroker);
      await publishEnvelope(uuidv7(), message());
      await waitFor('the first effect', async () => (await effects('survivor')).length === 1);

      // The management API lists a new connection after its next statistics tick.
      await waitFor('the connection to be dropped', () => harness.dropConnections!(`${prefix}-worker`), 15_000, 250);
      await waitFor('the connection to go', () => !workerBroker.isReady(), 5_000, 20);
      await waitFor('the connection to come back', () => workerBroker.isReady(), 15_000);
      await publishEnvelope(uuidv7(), message());
      await waitFor('the second effect', async () => (await effects('survivor')).length === 2);
      await workers.pop()!.stop({ timeoutMs: 2_000 });
      await workerBroker.close();
    },
    60_000,
  );
});
