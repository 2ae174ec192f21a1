import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { createRabbitMqBroker, migrateDatabase, queueSpecOf, type FunctionDeclaration } from '@qfn/shared/platform';
import { deleteRabbitTopology } from '@qfn/tooling/rabbitmq-cleanup';

export const amqpUrl = process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
export const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const migrationsFolder = fileURLToPath(new URL('../../migrations/sql', import.meta.url));

export interface BenchEnvironment {
  /** QUEUE_PREFIX and DATABASE_SCHEMA of this run only. */
  prefix: string;
  schema: string;
  /** Environment every process of this run gets (broker, database, quiet logs, telemetry off). */
  env: Record<string, string>;
  /** A postgres.js client on the run's schema. */
  sql: postgres.Sql;
  /** Declares the functions' queues (as `npm run provision` does before the first publish). */
  provision(...declarations: FunctionDeclaration[]): Promise<void>;
  /** Deletes the run's queues and exchanges and drops its schema. */
  cleanUp(): Promise<void>;
}

/**
 * Queues and a migrated schema of this bench run only, so runs never see each other's messages.
 *
 * @example
 * const environment = await createBenchEnvironment('publish');
 * try { ... } finally { await environment.cleanUp(); }
 */
export async function createBenchEnvironment(label: string): Promise<BenchEnvironment> {
  const name = `bench_${label.replace(/[^a-z0-9]/g, '')}_${randomBytes(3).toString('hex')}`;
  const prefix = name.replace(/_/g, '-');
  await migrateDatabase({ url: databaseUrl, schema: name, migrationsFolder, waitTimeoutMs: 10_000 });
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {}, connection: { search_path: `${name},public` } });
  const env = {
    BROKER: 'rabbitmq',
    AMQP_URL: amqpUrl,
    QUEUE_PREFIX: prefix,
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: name,
    LOG_LEVEL: 'info',
    HEALTH_PORT: '0',
    ...(process.env['RABBITMQ_MANAGEMENT_URL'] ? { RABBITMQ_MANAGEMENT_URL: process.env['RABBITMQ_MANAGEMENT_URL'] } : {}),
  };
  return {
    prefix,
    schema: name,
    env,
    sql,
    async provision(...declarations) {
      const broker = createRabbitMqBroker({ url: amqpUrl, prefix, clientName: `${prefix}-provision` });
      await broker.connect();
      try {
        for (const declaration of declarations) await broker.provision(queueSpecOf(declaration));
      } finally {
        await broker.close();
      }
    },
    async cleanUp() {
      await sql.unsafe(`drop schema if exists "${name}" cascade`).catch(() => {});
      await sql.end({ timeout: 5 });
      await deleteRabbitTopology(prefix).catch(() => {});
    },
  };
}
