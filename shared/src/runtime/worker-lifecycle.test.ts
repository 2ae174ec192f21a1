/**
 * The worker's lifecycle on RabbitMQ + Postgres: start once, stop memoised, handler timeouts as
 * retryable failures, ctx.signal aborted at a handler's timeout and at the shutdown deadline.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database';
import { uniqueName } from '../../../test/support/names';
import { rabbitmqHarness } from '../../../test/support/brokers';
import { waitFor } from '../../../test/support/wait';
import { defineFunction, type FunctionDeclaration, type HandlerContext } from '../function/define';
import { createLogger } from '../log/index';
import { encodeEnvelope, uuidv7 } from '../messages/envelope';
import type { BrokerWithAdmin } from '../queue/types';
import { HandlerTimeoutError, ShutdownDeadlineError, WorkerLifecycleError } from './errors';
import { FunctionWorker, type WorkerEvents } from './worker';

const note = z.object({ text: z.string() });
const silent = createLogger({ name: 'lifecycle', level: 'silent' });

describe('FunctionWorker lifecycle (RabbitMQ + Postgres)', () => {
  const prefix = uniqueName('lifecycle');
  let database: TestDatabase;
  let broker: BrokerWithAdmin;
  const workers: FunctionWorker[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(prefix);
    await database.db.execute(sql`create table lifecycle_effects (function_name text not null, event_id text not null, attempt int not null)`);
    broker = rabbitmqHarness.create(prefix);
    await broker.connect();
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) await worker.stop({ timeoutMs: 2_000 });
  });
  afterAll(async () => {
    await broker?.close();
    await rabbitmqHarness.cleanup(prefix);
    await database?.drop();
  });

  function workerOf(declaration: FunctionDeclaration, random?: () => number): FunctionWorker {
    const worker = new FunctionWorker({ declaration, broker, db: database.db, log: silent, ...(random ? { random } : {}) });
    workers.push(worker);
    return worker;
  }

  async function publish(type: string, text = 'hello'): Promise<string> {
    const id = uuidv7();
    await broker.publish({ id, type, body: encodeEnvelope({ id, type, time: new Date().toISOString(), data: { text } }) });
    return id;
  }

  function collect<K extends keyof WorkerEvents>(worker: FunctionWorker, event: K): WorkerEvents[K][0][] {
    const seen: WorkerEvents[K][0][] = [];
    (worker.on as (event: K, listener: (payload: WorkerEvents[K][0]) => void) => void)(event, (payload) => seen.push(payload));
    return seen;
  }

  async function effects(name: string): Promise<{ event_id: string; attempt: number }[]> {
    return (await database.db.execute(sql`select event_id, attempt from lifecycle_effects where function_name = ${name} order by attempt`)) as unknown as {
      event_id: string;
      attempt: number;
    }[];
  }

  /** Starts a worker of the declaration, publishes one event of `type` and waits until it is processed: on its second attempt, the first timing out. */
  async function processedOnSecondAttempt(declaration: FunctionDeclaration, type: string, random?: () => number) {
    const worker = workerOf(declaration, random);
    const retried = collect(worker, 'message_retried');
    const processed = collect(worker, 'message_processed');
    await worker.start();
    const id = await publish(type);
    await waitFor('the second attempt', () => processed.length === 1, 15_000, 20);
    return { id, retried, processed };
  }

  /** The handler's lasting effect: a row naming its function, event and attempt, written in the handler's transaction. */
  async function recordEffect(name: string, ctx: HandlerContext): Promise<void> {
    await ctx.db.execute(sql`insert into lifecycle_effects values (${name}, ${ctx.eventId}, ${ctx.attempt})`);
  }

  /** A handler's wait that honours its signal: 30 s at most, ended by the abort, whose reason it notes before failing with it. */
  async function waitUntilAborted(signal: AbortSignal, reasons: unknown[]): Promise<void> {
    await sleep(30_000, undefined, { signal }).catch((error: unknown) => {
      reasons.push(signal.reason);
      throw error;
    });
  }

  it('starts once: a second start, or a start after stop, throws a WorkerLifecycleError', async () => {
    const worker = workerOf(defineFunction({ name: 'twice', subscribes: ['twice.test'], schema: note, handler: async () => {} }));
    await worker.start();
    expect(worker.state).toBe('running');
    await expect(worker.start()).rejects.toThrow(WorkerLifecycleError);
    await expect(worker.start()).rejects.toThrow('cannot start the worker of twice: it was started already');
    await worker.stop({ timeoutMs: 1_000 });
    expect(worker.state).toBe('stopped');
    await expect(worker.start()).rejects.toThrow('it was stopped; create a new worker');
  });

  it('memoises stop: a second call returns the first call’s promise and result, and stops once', async () => {
    const worker = workerOf(defineFunction({ name: 'stoponce', subscribes: ['stoponce.test'], schema: note, handler: async () => {} }));
    const stopped = collect(worker, 'stopped');
    await worker.start();
    const first = worker.stop({ timeoutMs: 1_000 });
    const second = worker.stop({ timeoutMs: 5 });
    expect(second).toBe(first);
    expect(await second).toEqual({ drained: true });
    expect(await worker.stop()).toBe(await first);
    expect(stopped).toHaveLength(1);
  });

  it('retries a handler that ignores its handlerTimeoutMs, with a reason naming the timeout, and rolls its writes back', async () => {
    const name = 'ignores';
    let timedOutSignal: AbortSignal | undefined;
    const declaration = defineFunction({
      name,
      subscribes: ['ignores.test'],
      schema: note,
      handlerTimeoutMs: 200,
      retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 100 },
      handler: async (_event, ctx) => {
        await recordEffect(name, ctx);
        if (ctx.attempt === 1) {
          timedOutSignal = ctx.signal;
          await sleep(1_000); // ignores ctx.signal
        }
      },
    });
    // Equal jitter (the default) with a random of 0.5: three quarters of the 100 ms backoff.
    const { id, retried, processed } = await processedOnSecondAttempt(declaration, 'ignores.test', () => 0.5);

    expect(retried).toHaveLength(1);
    expect(retried[0]).toMatchObject({ attempt: 1, delayMs: 75, reason: 'HandlerTimeoutError: the handler did not finish within handlerTimeoutMs (200 ms)' });
    expect(processed[0]).toMatchObject({ attempt: 2 });
    expect(timedOutSignal?.reason).toBeInstanceOf(HandlerTimeoutError);
    // The first attempt's insert rolled back with its transaction; only the second one's stands.
    expect(await effects(name)).toEqual([{ event_id: id, attempt: 2 }]);
  });

  it('lets a handler that honours ctx.signal stop at its timeout; the message is retried and then succeeds', async () => {
    const name = 'honours';
    const stoppedEarly: unknown[] = [];
    const declaration = defineFunction({
      name,
      subscribes: ['honours.test'],
      schema: note,
      handlerTimeoutMs: 150,
      retry: { maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 50 },
      handler: async (_event, ctx) => {
        if (ctx.attempt === 1) await waitUntilAborted(ctx.signal, stoppedEarly);
        await recordEffect(name, ctx);
      },
    });
    const { id, retried } = await processedOnSecondAttempt(declaration, 'honours.test');

    expect(stoppedEarly).toHaveLength(1);
    expect(stoppedEarly[0]).toBeInstanceOf(HandlerTimeoutError);
    expect(retried[0]?.reason).toContain('handlerTimeoutMs (150 ms)');
    expect(await effects(name)).toEqual([{ event_id: id, attempt: 2 }]);
  });

  it('dead-letters a handler that times out on every attempt, naming the timeout as the last error', async () => {
    const declaration = defineFunction({
      name: 'alwaysslow',
      subscribes: ['alwaysslow.test'],
      schema: note,
      handlerTimeoutMs: 50,
      retry: { maxAttempts: 2, initialDelayMs: 20, maxDelayMs: 20 },
      handler: (_event, ctx) => sleep(10_000, undefined, { signal: ctx.signal }),
    });
    const worker = workerOf(declaration);
    const deadLettered = collect(worker, 'message_dead_lettered');
    await worker.start();
    await publish('alwaysslow.test');
    await waitFor('the dead letter', () => deadLettered.length === 1, 15_000, 20);
    expect(deadLettered[0]!.reason).toBe('failed 2 of 2 attempts; last error: HandlerTimeoutError: the handler did not finish within handlerTimeoutMs (50 ms)');
  });

  it('aborts ctx.signal at the shutdown grace deadline and hands the message back without counting an attempt', async () => {
    const name = 'graceend';
    const aborted: unknown[] = [];
    let started = 0;
    const declaration = defineFunction({
      name,
      subscribes: ['graceend.test'],
      schema: note,
      handler: async (_event, ctx) => {
        started++;
        if (started === 1) await waitUntilAborted(ctx.signal, aborted);
        await recordEffect(name, ctx);
      },
    });
    const first = workerOf(declaration);
    const released = collect(first, 'message_released');
    const retried = collect(first, 'message_retried');
    await first.start();
    const id = await publish('graceend.test');
    await waitFor('the handler to start', () => started === 1, 15_000, 20);

    expect(await first.stop({ timeoutMs: 300 })).toEqual({ drained: false });
    await waitFor('the message handed back', () => released.length === 1, 5_000, 20);
    expect(aborted).toHaveLength(1);
    expect(aborted[0]).toBeInstanceOf(ShutdownDeadlineError);
    expect(String(aborted[0])).toContain('grace period (300 ms) ended');
    expect(retried).toEqual([]);

    // Another replica takes it over as the same attempt: the shutdown was not the message's fault.
    const second = workerOf(declaration);
    const processed = collect(second, 'message_processed');
    await second.start();
    await waitFor('the message on the next replica', () => processed.length === 1, 15_000, 20);
    expect(await effects(name)).toEqual([{ event_id: id, attempt: 1 }]);
  });

  it('gives a batch handler one signal for the batch, aborted at its timeout', async () => {
    const signals: AbortSignal[] = [];
    const declaration = defineFunction({
      name: 'batchslow',
      subscribes: ['batchslow.test'],
      schema: note,
      batchSize: 10,
      handlerTimeoutMs: 100,
      retry: { maxAttempts: 1 },
      handleBatch: async (items) => {
        for (const { ctx } of items) signals.push(ctx.signal);
        await sleep(10_000, undefined, { signal: items[0]!.ctx.signal });
      },
    });
    const worker = workerOf(declaration);
    const deadLettered = collect(worker, 'message_dead_lettered');
    await worker.start();
    await publish('batchslow.test');
    await waitFor('the dead letter', () => deadLettered.length === 1, 15_000, 20);
    expect(signals.every((signal) => signal.reason instanceof HandlerTimeoutError)).toBe(true);
    expect(deadLettered[0]!.reason).toContain('handlerTimeoutMs (100 ms)');
  });
});
