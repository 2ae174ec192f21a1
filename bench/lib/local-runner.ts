import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { parseConfig } from '@qfn/shared';
import { localConfig } from '../../local/config';
import { LocalRunner } from '../../local/runner';
import { deleteRabbitTopology } from '@qfn/tooling/rabbitmq-cleanup';
import { amqpUrl, databaseUrl } from './environment';
import { freePort } from './ports';
import { sleep } from './stats';

export interface BenchRunner {
  runner: LocalRunner;
  publishUrl: string;
  /** A postgres.js client on the app's schema (the embedded database's when embedded). */
  sql: postgres.Sql;
  stop(): Promise<void>;
}

export interface BenchRunnerOptions {
  /** `rabbitmq-postgres`: this machine's services; `embedded`: the runner's SQS emulator and PGlite. */
  backend: 'rabbitmq-postgres' | 'embedded';
  functions: string[];
  /** LOCAL_SCALING per function (any declaration scaling field). */
  scaling: Record<string, Record<string, unknown>>;
  /** Environment of the function replicas. */
  replicaEnv?: Record<string, string>;
}

/**
 * `npm start`'s runner (local/runner.ts) on a queue prefix and schema of its own: the publish function
 * and the named consumer functions, scaled from zero by KEDA's and the HPA's rules.
 *
 * @example
 * const app = await startBenchRunner({ backend: 'rabbitmq-postgres', functions: ['store-message'], scaling: { 'store-message': { pollingInterval: 1 } } });
 * await fetch(`${app.publishUrl}/message/publish`, { method: 'POST', ... });
 * await app.stop();
 */
export async function startBenchRunner(options: BenchRunnerOptions): Promise<BenchRunner> {
  const name = `bench_local_${randomBytes(3).toString('hex')}`;
  const prefix = name.replace(/_/g, '-');
  const external = options.backend === 'rabbitmq-postgres';
  const port = await freePort();
  const config = parseConfig(localConfig, {
    QUEUE_PREFIX: prefix,
    PORT: String(port),
    // Served by the publish function only when a function has scaling.pushActivation.
    LOCAL_PUSH_SCALER_PORT: String(await freePort()),
    LOCAL_STATUS_PORT: '0',
    LOG_LEVEL: 'info',
    LOCAL_FUNCTIONS: options.functions.join(','),
    LOCAL_SCALING: JSON.stringify(options.scaling),
    LOCAL_HPA_SYNC_PERIOD_SECONDS: '1',
    ...(external ? { AMQP_URL: amqpUrl, DATABASE_URL: databaseUrl, DATABASE_SCHEMA: name } : {}),
  });
  const runner = new LocalRunner({ config });
  const saved = { ...process.env };
  // Replicas inherit the runner's environment (and log at info: "consuming" is how the runner sees them ready).
  Object.assign(process.env, { LOG_LEVEL: 'info', ...options.replicaEnv });
  try {
    await runner.start();
  } catch (error) {
    await runner.stop();
    throw error;
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
  const publish = runner.replicaSet('publish')!;
  const deadline = performance.now() + 30_000;
  while (publish.status().ready < 1) {
    if (performance.now() > deadline) {
      await runner.stop();
      throw new Error('the publish function did not start listening within 30 s');
    }
    await sleep(50);
  }
  const sql = postgres(runner.env['DATABASE_URL']!, {
    max: 2,
    onnotice: () => {},
    ...(config.DATABASE_SCHEMA !== 'public' ? { connection: { search_path: `${config.DATABASE_SCHEMA},public` } } : {}),
  });
  return {
    runner,
    publishUrl: `http://127.0.0.1:${port}/message/publish`,
    sql,
    async stop() {
      await sql.end({ timeout: 5 });
      await runner.stop();
      if (!external) return;
      await deleteRabbitTopology(prefix).catch(() => {});
      const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop schema if exists "${name}" cascade`).catch(() => {});
      await admin.end();
    },
  };
}
