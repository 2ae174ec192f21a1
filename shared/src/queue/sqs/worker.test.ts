/**
 * The function runtime (FunctionWorker, Postgres inbox) end to end on the SQS broker and the emulator.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDatabase, type DatabaseHandle } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { defineFunction, type FunctionDeclaration } from '../../function/define';
import { encodeEnvelope, uuidv7 } from '../../messages/envelope';
import { FunctionWorker, queueSpecOf } from '../../runtime/worker';
import type { BrokerWithAdmin } from '../types';
import { startSqsEmulator, type SqsEmulator } from './emulator';
import { createSqsBroker, deleteSqsQueues } from './index';

const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const migrationsFolder = fileURLToPath(new URL('../../../../migrations/sql', import.meta.url));
const silent = pino({ level: 'silent' });
const job = z.object({ name: z.string(), failUntilAttempt: z.number().int().default(0), workMs: z.number().int().default(0) });

let sqs: SqsEmulator;
let schema: string;
let database: DatabaseHandle;
const brokers: BrokerWithAdmin[] = [];
const workers: FunctionWorker[] = [];

beforeAll(async () => {
  sqs = await startSqsEmulator();
  schema = `sqs_worker_${randomBytes(4).toString('hex')}`;
  await migrateDatabase({ url: databaseUrl, schema, migrationsFolder, waitTimeoutMs: 10_000 });
  database = createDatabase({ url: databaseUrl, schema, poolSize: 10 });
  await database.db.execute(sql`create table effects (function_name text not null, event_id text not null, attempt int not null)`);
});
afterAll(async () => {
  await database.close();
  const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop schema if exists "${schema}" cascade`);
  await admin.end();
  await sqs.stop();
});
afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.stop({ timeoutMs: 2_000 });
  for (const broker of brokers.splice(0)) await broker.close();
  await deleteSqsQueues({ prefix: schema, endpoint: sqs.endpoint, region: sqs.region, credentials: sqs.credentials });
});

async function broker(): Promise<BrokerWithAdmin> {
  const created = createSqsBroker({ prefix: schema, endpoint: sqs.endpoint, region: sqs.region, credentials: sqs.credentials, waitTimeSeconds: 1 });
  brokers.push(created);
  await created.connect();
  return created;
}

/** Every handler start, committed or not (the inbox would hide a second run from the effects table). */
const runs: { fn: string; attempt: number }[] = [];

/** Records every handler run; fails on early attempts when the job says so. */
function recordingFunction(name: string, overrides: { visibilityTimeoutSeconds?: number; concurrency?: number } = {}) {
  return defineFunction({
    name,
    subscribes: ['job.run'],
    schema: job,
    retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 400 },
    ...overrides,
    handler: async (event, { db, eventId, attempt }) => {
      runs.push({ fn: name, attempt });
      if (event.workMs) await sleep(event.workMs);
      if (attempt <= event.failUntilAttempt) throw new Error(`simulated failure on attempt ${attempt}`);
      await db.execute(sql`insert into effects (function_name, event_id, attempt) values (${name}, ${eventId}, ${attempt})`);
    },
  });
}

async function startWorker(declaration: FunctionDeclaration, on: BrokerWithAdmin): Promise<FunctionWorker> {
  const worker = new FunctionWorker({ declaration, broker: on, db: database.db, log: silent });
  await worker.start();
  workers.push(worker);
  return worker;
}

function publish(on: BrokerWithAdmin, data: unknown, id = uuidv7()) {
  return on.publish({ id, type: 'job.run', body: encodeEnvelope({ id, type: 'job.run', time: new Date().toISOString(), data }) }).then(() => id);
}

async function effects(fn: string) {
  return (await database.db.execute(sql`select event_id, attempt from effects where function_name = ${fn}`)) as unknown as {
    event_id: string;
    attempt: number;
  }[];
}

async function waitFor<T>(what: string, check: () => Promise<T>, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('FunctionWorker on SQS', () => {
  it('processes an event once, even when it is published twice', async () => {
    const sqsBroker = await broker();
    const fn = recordingFunction('once');
    await startWorker(fn, sqsBroker);
    const id = await publish(sqsBroker, { name: 'a' });
    await publish(sqsBroker, { name: 'a' }, id);
    await waitFor('the queue to empty', async () => {
      const depth = await sqsBroker.queueDepth(queueSpecOf(fn));
      return depth.ready + depth.inFlight === 0 && (await effects('once')).length > 0;
    });
    expect(await effects('once')).toEqual([{ event_id: id, attempt: 1 }]);
  });

  it('retries through the visibility timeout and succeeds on the third attempt', async () => {
    const sqsBroker = await broker();
    await startWorker(recordingFunction('flaky'), sqsBroker);
    const id = await publish(sqsBroker, { name: 'b', failUntilAttempt: 2 });
    const rows = await waitFor('the effect', async () => ((await effects('flaky')).length ? effects('flaky') : undefined));
    expect(rows).toEqual([{ event_id: id, attempt: 3 }]);
  });

  it('dead-letters after the last attempt with the reason, and invalid events at once', async () => {
    const sqsBroker = await broker();
    const fn = recordingFunction('doomed');
    await startWorker(fn, sqsBroker);
    const failing = await publish(sqsBroker, { name: 'c', failUntilAttempt: 99 });
    const invalid = await publish(sqsBroker, { name: 42 });
    const letters = await waitFor('two dead letters', async () => {
      const found = await sqsBroker.listDeadLetters(queueSpecOf(fn), 10);
      return found.length === 2 ? found : undefined;
    });
    const byId = new Map(letters.map((l) => [l.eventId, l]));
    expect(byId.get(failing)).toMatchObject({ attempts: 3 });
    expect(byId.get(failing)!.reason).toMatch(/failed 3 of 3 attempts; last error: Error: simulated failure on attempt 3/);
    expect(byId.get(invalid)).toMatchObject({ attempts: 1 });
    expect(byId.get(invalid)!.reason).toMatch(/schema validation failed/);
    expect(await effects('doomed')).toEqual([]);
  });

  it('processes a handler that runs three times the visibility timeout exactly once, with two replicas competing', async () => {
    const fn = recordingFunction('long', { visibilityTimeoutSeconds: 1 });
    const [first, second] = [await broker(), await broker()];
    await startWorker(fn, first);
    await startWorker(fn, second);
    const id = await publish(first, { name: 'd', workMs: 3_000 });
    await waitFor('the effect', async () => (await effects('long')).length > 0);
    await sleep(1_500);
    expect(await effects('long')).toEqual([{ event_id: id, attempt: 1 }]);
    expect(runs.filter((r) => r.fn === 'long')).toEqual([{ fn: 'long', attempt: 1 }]);
  });
});
