import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterEach, expect } from 'vitest';
import {
  type Broker,
  type BrokerWithAdmin,
  type Database,
  type DeadLetter,
  type QueueAdmin,
  encodeEnvelope,
  type QueueSpec,
  uuidv7,
} from '@qfn/shared/platform';
import { effectsTable } from '../fixtures/effects';
import type { BrokerHarness } from '../support/brokers';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { uniqueName } from '../support/names';
import { type FunctionProcess, startFunctionProcess } from '../support/process';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait';

export const faultEntry = fileURLToPath(new URL('./fixtures/fault-main.ts', import.meta.url));

export const message = (sender = 'haimeng') => ({
  ts: '19941114',
  sender,
  messageAttributes: { publisher: 'fault-suite' },
  sent_from_ip: '10.0.0.1',
  priority: 1,
});

/** The queue of the fault function as the broker sees it (same settings as faultFunction's defaults). */
export function faultSpec(name: string, overrides: Partial<QueueSpec['retry']> = {}): QueueSpec {
  return {
    name,
    subscribes: ['message.published'],
    retry: { maxAttempts: 10, initialDelayMs: 200, maxDelayMs: 1_000, multiplier: 2, ...overrides },
    visibilityTimeoutSeconds: 5,
  };
}

/** Publishes `count` events (ids returned in order), many confirms in flight at once. */
export async function publishEvents(broker: Broker, count: number, sender = 'haimeng'): Promise<string[]> {
  const ids = Array.from({ length: count }, () => uuidv7());
  for (let start = 0; start < ids.length; start += 500) {
    await Promise.all(
      ids.slice(start, start + 500).map((id) =>
        broker.publish({
          id,
          type: 'message.published',
          body: encodeEnvelope({ id, type: 'message.published', time: new Date().toISOString(), data: message(sender) }),
        }),
      ),
    );
  }
  return ids;
}

/** One scenario's world: a database schema with the effects table, a broker prefix, a publishing broker client. */
export interface FaultWorld {
  prefix: string;
  database: TestDatabase;
  broker: BrokerWithAdmin;
  /** Every row of the effects table for this function. */
  effects(fn: string): Promise<{ event_id: string; attempt: number; atMs: number }[]>;
  effectCount(fn: string): Promise<number>;
  /** Environment for the fault function process. */
  env(fn: string, extra?: Record<string, string>): Record<string, string>;
  start(fn: string, extra?: Record<string, string>): FunctionProcess;
  tearDown(): Promise<void>;
}

export async function createFaultWorld(harness: BrokerHarness, label: string): Promise<FaultWorld> {
  const prefix = uniqueName(label);
  const database = await createTestDatabase(prefix);
  await database.db.execute(effectsTable);
  const broker = harness.create(prefix, `${prefix}-test`);
  await broker.connect();
  const processes: FunctionProcess[] = [];
  const env = (fn: string, extra: Record<string, string> = {}) => ({
    ...harness.env(prefix),
    DATABASE_SCHEMA: prefix,
    FIXTURE_NAME: fn,
    ...extra,
  });
  return {
    prefix,
    database,
    broker,
    env,
    effects: async (fn) =>
      (
        (await database.db.execute(
          sql`select event_id, attempt, (extract(epoch from at) * 1000)::float8 as at_ms from effects where function_name = ${fn} order by at`,
        )) as unknown as { event_id: string; attempt: number; at_ms: number }[]
      ).map((r) => ({ event_id: r.event_id, attempt: r.attempt, atMs: Number(r.at_ms) })),
    effectCount: async (fn) => {
      const [row] = (await database.db.execute(sql`select count(*)::int as n from effects where function_name = ${fn}`)) as unknown as { n: number }[];
      return row!.n;
    },
    start(fn, extra) {
      const started = startFunctionProcess(faultEntry, env(fn, extra));
      processes.push(started);
      return started;
    },
    async tearDown() {
      for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await Promise.all(processes.map((p) => p.exited));
      await broker.close();
      await harness.cleanup(prefix);
      await database.drop();
    },
  };
}

/**
 * The per-test world of a fault scenario on one broker: call inside `describe.each(brokerHarnesses)`;
 * each test calls the returned function once, and everything is torn down after it.
 *
 * @example
 * const setUp = faultScenario(harness);
 * it('…', async () => { const { world, spec } = await setUp('sigkill', 'killed'); … });
 */
export function faultScenario(harness: BrokerHarness) {
  let world: FaultWorld | undefined;
  afterEach(async () => {
    await world?.tearDown();
    world = undefined;
    await harness.tearDown();
  });
  return async (label: string, fn: string, retry: Partial<QueueSpec['retry']> = {}) => {
    await harness.setUp();
    world = await createFaultWorld(harness, label);
    const spec = faultSpec(fn, retry);
    await world.broker.provision(spec);
    return { world, spec };
  };
}

/** rows = distinct ids = the published ids, each exactly once. */
export async function expectExactlyOnce(world: FaultWorld, fn: string, ids: readonly string[]): Promise<void> {
  const rows = await world.effects(fn);
  const distinct = new Set(rows.map((r) => r.event_id));
  expect({ rows: rows.length, distinct: distinct.size }).toEqual({ rows: ids.length, distinct: ids.length });
  expect(distinct).toEqual(new Set(ids));
}

/** Waits for as many effects as published ids and an empty queue; then no dead letters and each id exactly once. */
export async function expectDrainedExactlyOnce(world: FaultWorld, fn: string, spec: QueueSpec, ids: readonly string[]): Promise<void> {
  await waitFor('every message', async () => (await world.effectCount(fn)) >= ids.length, 60_000, 100);
  await waitForEmptyQueue(world.broker, spec);
  expect(await deadLetters(world.broker, spec)).toEqual([]);
  await expectExactlyOnce(world, fn, ids);
}

/** Waits until nothing is ready, in flight or waiting for a retry on the function's queue. */
export async function waitForEmptyQueue(broker: QueueAdmin, spec: QueueSpec, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `an empty ${spec.name} queue`,
    async () => {
      const depth = await broker.queueDepth(spec);
      return depth.ready + depth.inFlight + depth.delayed === 0 ? depth : undefined;
    },
    timeoutMs,
    250,
  );
}

export async function deadLetters(broker: QueueAdmin, spec: QueueSpec): Promise<DeadLetter[]> {
  return broker.listDeadLetters(spec, 1_000);
}

/** Waits for the queue's first dead letters and returns them (all there are by then). */
export async function waitForDeadLetters(broker: QueueAdmin, spec: QueueSpec, timeoutMs = 30_000, intervalMs = 200): Promise<DeadLetter[]> {
  return waitFor(
    `a dead letter of ${spec.name}`,
    async () => {
      const found = await deadLetters(broker, spec);
      return found.length > 0 ? found : undefined;
    },
    timeoutMs,
    intervalMs,
  );
}

const defaultPorts: Record<string, number> = { 'postgres:': 5432, 'postgresql:': 5432, 'amqp:': 5672 };

/**
 * TCP proxies that live for one test: call inside a `describe`; the returned function starts a proxy in front of
 * a URL's host and port (rewrite the URL with `proxy.via(url)`), and every proxy started is closed after each test.
 *
 * @example
 * const proxyTo = proxiesPerTest();
 * it('…', async () => { const proxy = await proxyTo(databaseUrl); … proxy.reset(); });
 */
export function proxiesPerTest(): (url: string) => Promise<TcpProxy> {
  const open: TcpProxy[] = [];
  afterEach(async () => {
    for (const proxy of open.splice(0)) await proxy.close();
  });
  return async (url) => {
    const target = new URL(url);
    const proxy = await startTcpProxy({ targetHost: target.hostname, targetPort: Number(target.port || defaultPorts[target.protocol]) });
    open.push(proxy);
    return proxy;
  };
}

/**
 * Takes Postgres away from everyone who reaches it through the proxy: new connections are refused, open ones reset.
 * Returns (with the number reset) once Postgres has ended every backend behind a reset connection: a COMMIT the server
 * had already read when its connection broke still completes, and counting rows before then would see it land during the
 * outage. `db` must reach Postgres directly, not through the proxy.
 */
export async function takePostgresAway(proxy: TcpProxy, db: Database): Promise<number> {
  proxy.refuse(true);
  const ports = proxy.upstreamPorts;
  const reset = proxy.reset();
  if (ports.length > 0) {
    const backendsLeft = async () => {
      const [row] = await db.execute<{ n: number }>(
        sql`select count(*)::int as n from pg_stat_activity where client_addr = '127.0.0.1' and client_port in (${sql.join(
          ports.map((port) => sql`${port}`),
          sql`, `,
        )})`,
      );
      return row!.n;
    };
    await waitFor('Postgres to end the backends behind the reset connections', async () => (await backendsLeft()) === 0, 10_000, 20);
  }
  return reset;
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The function process answers /readyz with 200. */
export async function isReady(healthPort: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${healthPort}/readyz`)).status === 200;
  } catch {
    return false;
  }
}

/** SIGTERM, then the exit code and how long the drain took. */
export async function terminate(process: FunctionProcess): Promise<{ code: number | null; exitMs: number }> {
  const started = performance.now();
  process.child.kill('SIGTERM');
  const code = await process.exited;
  return { code, exitMs: Math.round(performance.now() - started) };
}

/** Keeps one replica running the way a ReplicaSet does: a process that exits is replaced. */
export interface Replica {
  readonly current: FunctionProcess;
  /** Exit codes of the processes that were replaced. */
  readonly exits: (number | null)[];
  /** Every log line of every process so far. */
  logs(): Record<string, unknown>[];
  /** SIGTERM to the current process (no replacement), with its exit code and drain time. */
  stop(): Promise<{ code: number | null; exitMs: number }>;
}

export function superviseReplica(start: () => FunctionProcess): Replica {
  const generations = [start()];
  const exits: (number | null)[] = [];
  let stopped = false;
  const watch = (process: FunctionProcess) =>
    void process.exited.then((code) => {
      if (stopped) return;
      exits.push(code);
      const next = start();
      generations.push(next);
      watch(next);
    });
  watch(generations[0]!);
  return {
    get current() {
      return generations.at(-1)!;
    },
    exits,
    logs: () => generations.flatMap((g) => g.logs),
    stop: () => {
      stopped = true;
      return terminate(generations.at(-1)!);
    },
  };
}

/** Collects the numbers a scenario reports (printed once at the end of the file). */
export function report(scenario: string, figures: Record<string, unknown>): void {
  process.stdout.write(`[fault-report] ${scenario} ${JSON.stringify(figures)}\n`);
}
