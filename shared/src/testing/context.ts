import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { inArray } from 'drizzle-orm';
import type { z } from 'zod';
import type { Database } from '../db/client';
import { outbox } from '../db/schema';
import type { FunctionDeclaration, HandlerContext } from '../function/define';
import { createLogger, type Logger } from '../log/index';
import { decodeEnvelope, encodeEnvelope } from '../messages/envelope';
import { childEventId } from '../outbox/child-id';
import { handlerContext } from '../outbox/handler-context';
import { FunctionWorker } from '../runtime/worker';
import { createTestDatabase, type TestDatabase, type TestDatabaseOptions } from './database';
import { InMemoryBroker, type Settled } from './in-memory-broker';

/** One line a handler logged (pino's JSON, parsed). */
export interface LogRecord {
  level: string;
  msg?: string;
  [field: string]: unknown;
}

/** An event a handler published with `ctx.publish`: its outbox row, committed with the handler's transaction. */
export interface EmittedEvent {
  id: string;
  type: string;
  data: unknown;
  /** When the relay may send it (now, or the `delaySeconds` / `deliverAt` asked for). */
  deliverAt: Date;
  headers: Record<string, string>;
}

/** An event as a test hands it to `runOnce`. */
export interface TestEvent<S extends z.ZodType = z.ZodType> {
  /** What a publisher sends (defaults applied by the function's schema, as in production). */
  data: z.input<S>;
  /** The event type; may be left out when the function subscribes to one type only. */
  type?: string;
  /** Default: a new UUID. Run twice with one id to see the inbox skip the second run. */
  id?: string;
  /** ISO time the event was accepted (default now). */
  time?: string;
  /** Which delivery this is (default 1): `fn.retry.maxAttempts` shows what the last attempt does. */
  attempt?: number;
}

/** What one delivery of an event to a function came to. */
export interface RunOutcome {
  eventId: string;
  /**
   * `processed`: the handler's transaction committed and the message was acknowledged; `duplicate`: the
   * inbox already had this event id, the handler did not run; `retried`: it threw and will be delivered
   * again after `retryInMs`; `dead-lettered`: it was given up (`reason` says why: schema, PermanentError,
   * last attempt).
   */
  status: 'processed' | 'duplicate' | 'retried' | 'dead-lettered' | 'released';
  attempt: number;
  retryInMs?: number;
  reason?: string;
  /** What the handler published (`ctx.publish`) and committed, in call order; empty when it did not commit. */
  emitted: EmittedEvent[];
  /** What the handler logged during this run. */
  logs: LogRecord[];
}

export interface RunOnceOptions {
  /** How long to wait for the delivery to be settled (default: the function's shutdown grace period). */
  timeoutMs?: number;
}

/**
 * A function's surroundings in this process, for unit tests: a migrated Postgres (PGlite through
 * postgres.js), an in-memory broker, a logger whose lines are kept. Build it once per test file.
 */
export interface TestContext {
  /** The test database: read what a handler committed, or seed rows before it runs. */
  readonly db: Database;
  readonly database: TestDatabase;
  readonly broker: InMemoryBroker;
  readonly log: Logger;
  /** Every line logged through `log` (and by handlers) so far. */
  readonly logs: readonly LogRecord[];
  /**
   * Runs `work` with a handler context whose `db` is a transaction that commits when `work` resolves
   * (and rolls back when it throws), as the worker does around a handler; returns what it published.
   */
  handle<T>(
    work: (ctx: HandlerContext) => Promise<T>,
    fields?: Partial<Pick<HandlerContext, 'eventId' | 'eventType' | 'eventTime' | 'attempt' | 'signal'>>,
  ): Promise<{ result: T; emitted: EmittedEvent[] }>;
  /** Delivers one event to the function through the real worker (validation, inbox, retries, dead letters) and reports what came of it. */
  runOnce<S extends z.ZodType>(fn: FunctionDeclaration<S>, event: TestEvent<S>, options?: RunOnceOptions): Promise<RunOutcome>;
  /** The committed `ctx.publish` events of the handler run for `eventId`, in call order. */
  emitted(eventId: string): Promise<EmittedEvent[]>;
  /** Empties every table (between tests that must not see each other's rows). */
  truncate(): Promise<void>;
  close(): Promise<void>;
}

export interface TestContextOptions extends TestDatabaseOptions {
  /** Level of the kept log lines (default `debug`). */
  logLevel?: string;
}

function recordingLogger(level: string): { log: Logger; logs: LogRecord[] } {
  const logs: LogRecord[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as LogRecord);
      done();
    },
  });
  return { log: createLogger({ name: 'test', level, destination }), logs };
}

/** Outbox rows of the events published while handling `parentId`: their ids follow from it and the call's position. */
async function emittedBy(db: Database, parentId: string): Promise<EmittedEvent[]> {
  const found: EmittedEvent[] = [];
  for (let from = 0; ; from += 100) {
    const ids = Array.from({ length: 100 }, (_, i) => childEventId(parentId, from + i));
    const rows = await db.select().from(outbox).where(inArray(outbox.id, ids));
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const id of ids) {
      const row = byId.get(id);
      if (!row) return found;
      const envelope = decodeEnvelope(Buffer.from(row.body));
      found.push({ id: row.id, type: row.type, data: envelope.data, deliverAt: new Date(row.deliverAt), headers: row.headers });
    }
  }
}

function defaultEventType(fn: FunctionDeclaration): string {
  const declared = Object.keys(fn.events ?? {});
  if (declared.length === 1) return declared[0]!;
  if (fn.subscribes.length === 1 && !/[*#]/.test(fn.subscribes[0]!)) return fn.subscribes[0]!;
  throw new Error(`runOnce(${fn.name}): it subscribes to ${fn.subscribes.join(', ')}; give the event's type`);
}

const outcomeOf = (settled: Settled): Pick<RunOutcome, 'status' | 'retryInMs' | 'reason'> => {
  switch (settled.operation) {
    case 'ack':
      return { status: 'processed' };
    case 'retry':
      return { status: 'retried', retryInMs: settled.delayMs, reason: settled.reason };
    case 'deadLetter':
      return { status: 'dead-lettered', reason: settled.reason };
    case 'release':
      return { status: 'released' };
  }
};

/**
 * Everything a unit test of a function needs, in this process and without services: a migrated
 * database, an in-memory broker and a logger that keeps its lines.
 *
 * @example
 * const t = await testContext();
 * afterAll(() => t.close());
 * const outcome = await t.runOnce(wordCount, { data: { text: 'a b a' } });
 * expect(outcome.status).toBe('processed');
 * expect(await t.db.select().from(wordCounts)).toHaveLength(1);
 */
export async function testContext(options: TestContextOptions = {}): Promise<TestContext> {
  const database = await createTestDatabase(options);
  const broker = new InMemoryBroker();
  await broker.connect();
  const { log, logs } = recordingLogger(options.logLevel ?? 'debug');
  // One run at a time: each takes the function's queue for itself.
  let running: Promise<unknown> = Promise.resolve();

  const runOnceNow = async (fn: FunctionDeclaration, event: TestEvent, runOptions: RunOnceOptions): Promise<RunOutcome> => {
    const id = event.id ?? randomUUID();
    const type = event.type ?? defaultEventType(fn);
    const attempt = event.attempt ?? 1;
    const logsBefore = logs.length;
    let duplicate = false;
    const worker = new FunctionWorker({ declaration: fn, broker, db: database.db, log });
    worker.on('message_processed', (processed) => {
      if (processed.envelope.id === id) duplicate = processed.duplicate;
    });
    const timeoutMs = runOptions.timeoutMs ?? fn.shutdownGracePeriodSeconds * 1000;
    let stopWaiting = () => {};
    const settled = new Promise<Settled>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`runOnce(${fn.name}): event ${id} was not settled within ${timeoutMs} ms (is the handler stuck?)`)),
        timeoutMs,
      );
      const unsubscribe = broker.onSettled((entry) => {
        if (entry.queue !== fn.name || entry.messageId !== id) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(entry);
      });
      stopWaiting = () => {
        clearTimeout(timer);
        unsubscribe();
      };
    });
    try {
      await worker.start();
      const body = encodeEnvelope({ id, type, time: event.time ?? new Date().toISOString(), data: event.data });
      broker.inject(fn.name, { id, type, body }, { attempt });
      const entry = await settled;
      // The worker reports a duplicate after its ack: let it finish the message first.
      await worker.stop({ timeoutMs: 1_000 });
      const outcome = outcomeOf(entry);
      if (outcome.status === 'processed' && duplicate) outcome.status = 'duplicate';
      return {
        eventId: id,
        attempt,
        ...outcome,
        emitted: outcome.status === 'processed' ? await emittedBy(database.db, id) : [],
        logs: logs.slice(logsBefore),
      };
    } finally {
      stopWaiting();
      await worker.stop({ timeoutMs: 1_000 });
      // A retry would come back to the next run's worker: each run starts with an empty queue.
      broker.deleteQueue(fn.name);
    }
  };

  return {
    db: database.db,
    database,
    broker,
    log,
    logs,
    async handle(work, fields = {}) {
      const eventId = fields.eventId ?? randomUUID();
      const result = await database.db.transaction((tx) =>
        work(
          handlerContext({
            db: tx as unknown as Database,
            eventId,
            eventType: fields.eventType ?? 'test.event',
            eventTime: fields.eventTime ?? new Date().toISOString(),
            attempt: fields.attempt ?? 1,
            log: log.child({ eventId }),
            ...(fields.signal ? { signal: fields.signal } : {}),
          }),
        ),
      );
      return { result, emitted: await emittedBy(database.db, eventId) };
    },
    runOnce(fn, event, runOptions = {}) {
      const run = running.then(() => runOnceNow(fn as FunctionDeclaration, event as TestEvent, runOptions));
      running = run.catch(() => {});
      return run;
    },
    emitted: (eventId) => emittedBy(database.db, eventId),
    truncate: () => database.truncate(),
    async close() {
      await running;
      await broker.close();
      await database.close();
    },
  };
}

let shared: Promise<TestContext> | undefined;

/**
 * `runOnce(fn, event)`: delivers one event to the function through the real worker, in this process,
 * and reports what came of it. Without a context it uses one per process (made on first use, kept
 * until the process ends), whose `db` holds the committed rows.
 *
 * @example
 * const outcome = await runOnce(wordCount, { data: { text: 'to be or not to be' } });
 * expect(outcome).toMatchObject({ status: 'processed', emitted: [] });
 */
export async function runOnce<S extends z.ZodType>(
  fn: FunctionDeclaration<S>,
  event: TestEvent<S>,
  context?: TestContext,
  options?: RunOnceOptions,
): Promise<RunOutcome> {
  return (context ?? (await sharedTestContext())).runOnce(fn, event, options);
}

/** The per-process context `runOnce` uses when given none. */
export function sharedTestContext(): Promise<TestContext> {
  shared ??= testContext().then((context) => {
    const close = context.close;
    // Closing it ends it for this process: the next runOnce without a context makes a new one.
    return Object.assign(context, {
      close: async () => {
        shared = undefined;
        await close();
      },
    });
  });
  return shared;
}
