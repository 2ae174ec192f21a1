import { fileURLToPath } from 'node:url';
import { defaultEventType } from '@qfn/events';
import { commonConfig, createBroker, createDatabase, encodeEnvelope, parseConfig, uuidv7, type Broker, type DatabaseHandle } from '@qfn/shared/platform';
import type { ScaleDecision } from '../../local/autoscaler/decide';
import { localConfig } from '../../local/config';
import { seedMessage } from '../../local/load/index';
import { LocalRunner, type ReplicaEvent } from '../../local/runner';
import { expect, it } from 'vitest';
import { freePort } from '../faults/support';
import { effectsFunction, effectsTable } from '../fixtures/effects';
import { databaseUrl, dropTestSchema } from '../support/database';
import { uniqueName } from '../support/names';
import { amqpUrl, deleteRabbitTopology } from '../support/rabbitmq';
import { waitFor } from '../support/wait';

const fixtureEntry = fileURLToPath(new URL('../fixtures/effects-main.ts', import.meta.url));

export interface ScaleScenario {
  /** `embedded`: nothing configured, so the SQS emulator and PGlite; `rabbitmq-postgres`: the machine's services. */
  backend: 'embedded' | 'rabbitmq-postgres';
  messages: number;
  /** Simulated work per message inside the handler's transaction, so one replica cannot keep up. */
  workMs: number;
  /** FUNCTION_CONCURRENCY of each replica. */
  concurrency: number;
  /** Also SIGKILL a replica mid-stream (on SQS its messages would wait out the visibility timeout). */
  killOne: boolean;
}

export interface ScaleScenarioResult {
  decisions: ScaleDecision[];
  replicaEvents: ReplicaEvent[];
  accepted: string[];
  /** Effect rows (one per handler run that committed) and distinct event ids among them. */
  effects: { rows: number; distinct: number };
  /** Accepted event ids with no committed effect. */
  missing: string[];
  /** Replicas signalled while messages were still flowing. */
  interrupted: { index: number; signal: NodeJS.Signals }[];
  firstPublishToFirstProcessedMs: number;
  /** exec → "consuming" of every replica start. */
  coldStartsMs: number[];
  /** Replica processes still alive after the scale to zero. */
  processesLeft: number;
}

/** Publishes `count` seed messages, 50 at a time, each confirmed by the broker; returns their event ids. */
async function publishBurst(broker: Broker, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => uuidv7());
  let next = 0;
  const sender = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const envelope = { id, type: defaultEventType, time: new Date().toISOString(), data: seedMessage({ sender: 'e2e' }) };
      await broker.publish({ id, type: defaultEventType, body: encodeEnvelope(envelope) });
    }
  };
  await Promise.all(Array.from({ length: 50 }, sender));
  return ids;
}

/**
 * Runs the local runner with one test function (effects rows without a unique key, so a double run
 * shows), publishes a burst, interrupts replicas mid-stream, and waits for every message and for the
 * scale back to zero.
 */
export interface EffectsRunOptions {
  /** Queue prefix, and the Postgres schema on `rabbitmq-postgres`. */
  name: string;
  backend: ScaleScenario['backend'];
  workMs: number;
  /** The function's LOCAL_SCALING entry. */
  scaling: Record<string, number>;
  /** More environment of its replicas (FIXTURE_NAME and FIXTURE_WORK_MS are set). */
  env: Record<string, string>;
  backoff?: ConstructorParameters<typeof LocalRunner>[0]['backoff'];
}

export interface EffectsRun {
  fnName: string;
  runner: LocalRunner;
  /** The runner's scale changes (from ≠ to) and replica events, collected from before its start. */
  decisions: ScaleDecision[];
  replicaEvents: ReplicaEvent[];
  /** The effects table's database, the table created. */
  database: DatabaseHandle;
  /** A broker connection of the test's own, connected. */
  publisher: Broker;
}

/**
 * Starts the local runner with one test function (effects rows without a unique key, so a double run
 * shows), hands `body` the runner with a database and a publisher of its own, and stops and removes it all after.
 */
export async function withEffectsRunner<T>(options: EffectsRunOptions, body: (run: EffectsRun) => Promise<T>): Promise<T> {
  const { name } = options;
  const fnName = `e2e-${name}`.slice(0, 40);
  const external = options.backend === 'rabbitmq-postgres';
  const config = parseConfig(localConfig, {
    QUEUE_PREFIX: name,
    PORT: String(await freePort()),
    LOCAL_STATUS_PORT: '0',
    LOG_LEVEL: 'info',
    LOCAL_HPA_SYNC_PERIOD_SECONDS: '1',
    LOCAL_SCALING: JSON.stringify({ [fnName]: options.scaling }),
    ...(external ? { AMQP_URL: amqpUrl, DATABASE_URL: databaseUrl, DATABASE_SCHEMA: name } : {}),
  });
  const runner = new LocalRunner({
    config,
    functions: [
      {
        dir: fileURLToPath(new URL('../fixtures', import.meta.url)),
        declarationFile: fileURLToPath(new URL('../fixtures/effects.ts', import.meta.url)),
        entryFile: fixtureEntry,
        declaration: effectsFunction({ name: fnName, workMs: options.workMs }),
        env: { FIXTURE_NAME: fnName, FIXTURE_WORK_MS: String(options.workMs), ...options.env },
      },
    ],
    publishEntry: false,
    ...(options.backoff ? { backoff: options.backoff } : {}),
  });
  const decisions: ScaleDecision[] = [];
  const replicaEvents: ReplicaEvent[] = [];
  runner.on('decision', (decision) => decision.from !== decision.to && decisions.push(decision));
  runner.on('replica', (event) => replicaEvents.push(event));

  let database: DatabaseHandle | undefined;
  let publisher: Broker | undefined;
  try {
    await runner.start();
    database = createDatabase({ url: runner.env['DATABASE_URL']!, schema: config.DATABASE_SCHEMA, poolSize: 1, applicationName: 'e2e' });
    await database.db.execute(effectsTable);
    publisher = await createBroker(parseConfig(commonConfig, { ...process.env, ...runner.env }), `${name}-e2e`);
    await publisher.connect();
    return await body({ fnName, runner, decisions, replicaEvents, database, publisher });
  } finally {
    await database?.close(1);
    await publisher?.close();
    await runner.stop();
    if (external) {
      await deleteRabbitTopology(name);
      await dropTestSchema(name);
    }
  }
}

/**
 * Runs the local runner with the effects function, publishes a burst, interrupts replicas mid-stream,
 * and waits for every message and for the scale back to zero.
 */
export async function runScaleScenario(scenario: ScaleScenario): Promise<ScaleScenarioResult> {
  const options: EffectsRunOptions = {
    name: uniqueName('local'),
    backend: scenario.backend,
    workMs: scenario.workMs,
    scaling: { pollingInterval: 1, cooldownPeriod: 3, scaleDownStabilizationWindowSeconds: 2, targetQueueLength: 100, maxReplicaCount: 4 },
    env: { FUNCTION_CONCURRENCY: String(scenario.concurrency) },
    backoff: { initialMs: 200, maxMs: 2_000, resetAfterMs: 60_000 },
  };
  return withEffectsRunner(options, async ({ fnName, runner, decisions, replicaEvents, database, publisher }) => {
    const sql = database.sql;
    // A burst straight through the broker adapter, so the queue is deep before one replica can drain
    // it whatever the machine's load (npm start's own test covers publishing over HTTP).
    const firstSentAt = Date.now();
    const publishing = publishBurst(publisher, scenario.messages);
    const committed = async () => (await sql`select count(distinct event_id)::int as n from effects`)[0]!.n as number;

    // Interrupt replicas while messages are still flowing: SIGTERM one (an eviction: it drains and
    // hands back what it has not started), and optionally SIGKILL another (a crash).
    const replicas = runner.replicaSet(fnName)!;
    const ready = await waitFor(
      'two ready replicas',
      () => {
        const up = replicas.status().replicas.filter((r) => r.phase === 'ready');
        return up.length >= 2 ? up : undefined;
      },
      30_000,
      50,
    );
    const interrupted: ScaleScenarioResult['interrupted'] = [];
    if ((await committed()) >= scenario.messages) throw new Error('every message was processed before a replica could be stopped mid-stream');
    process.kill(ready[0]!.pid!, 'SIGTERM');
    interrupted.push({ index: ready[0]!.index, signal: 'SIGTERM' });
    if (scenario.killOne) {
      process.kill(ready[1]!.pid!, 'SIGKILL');
      interrupted.push({ index: ready[1]!.index, signal: 'SIGKILL' });
    }

    const ids = await publishing;
    await waitFor('every message committed', async () => (await committed()) >= ids.length, 45_000, 200).catch(async (error: Error) => {
      // Say where it stood: how many committed, and what the autoscaler did meanwhile.
      const scaleEvents = decisions.map((d) => `${d.from}→${d.to} (${d.reason})`).join('; ');
      throw new Error(
        `${error.message}; committed ${await committed()} of ${ids.length}; replicas ${JSON.stringify(replicas.status().replicas.map((r) => [r.index, r.phase, r.inFlight]))}; scale events: ${scaleEvents}`,
      );
    });
    await waitFor('the scale back to zero', () => decisions.at(-1)?.to === 0 && replicas.status().replicas.length === 0, 30_000, 100);

    const [effects] =
      await sql`select count(*)::int as rows, count(distinct event_id)::int as distinct, (extract(epoch from min(at)) * 1000)::float8 as first from effects`;
    const seen = new Set((await sql`select distinct event_id from effects`).map((row) => row.event_id as string));
    return {
      decisions,
      replicaEvents,
      accepted: ids,
      effects: { rows: effects!.rows, distinct: effects!.distinct },
      missing: ids.filter((id) => !seen.has(id)),
      interrupted,
      firstPublishToFirstProcessedMs: Math.round(effects!.first - firstSentAt),
      coldStartsMs: replicaEvents.flatMap((e) => (e.type === 'ready' && e.function === fnName ? [e.coldStartMs] : [])),
      processesLeft: replicas.status().replicas.length,
    };
  });
}

/** The end-to-end test of one backend: the scenario, its measurements on stdout, and what must hold. */
export function itScalesZeroToNToZero(label: string, scenario: ScaleScenario): void {
  it('scales 0 → N → 0 by KEDA rules, stores every message once, loses none when replicas stop mid-stream', async () => {
    const result = await runScaleScenario(scenario);
    console.log(
      `[local e2e ${label}] first publish → first processed ${result.firstPublishToFirstProcessedMs} ms; ` +
        `cold starts ${result.coldStartsMs.join(', ')} ms; scale events: ${result.decisions.map((d) => `${d.from}→${d.to}`).join(' ')}`,
    );

    expect(result.decisions[0]).toMatchObject({ from: 0, to: 1, by: 'keda' });
    // On RabbitMQ the AMQP activation trigger usually sees the burst first (the management API's figures lag).
    expect(result.decisions[0]!.reason).toMatch(/ 0→1: (activation trigger's )?depth \d+ > activation 0$/);
    expect(Math.max(...result.decisions.map((d) => d.to))).toBeGreaterThanOrEqual(2);
    expect(result.decisions.at(-1)).toMatchObject({ to: 0, by: 'keda' });
    expect(result.decisions.at(-1)!.reason).toMatch(
      /→0: depth 0 ≤ activation 0(, activation trigger's depth 0 ≤ activation 0)?, inactive for [\d.]+ s > cooldownPeriod 3 s$/,
    );

    expect(result.interrupted.map((i) => i.signal)).toEqual(scenario.killOne ? ['SIGTERM', 'SIGKILL'] : ['SIGTERM']);
    expect(result.accepted).toHaveLength(scenario.messages);
    expect(result.missing).toEqual([]);
    expect(result.effects).toEqual({ rows: scenario.messages, distinct: scenario.messages });
    expect(result.processesLeft).toBe(0);
  }, 90_000);
}
