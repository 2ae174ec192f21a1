import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { createDatabase, migrateDatabase, type DatabaseHandle } from '@qfn/shared/platform';

export const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const migrationsFolder = fileURLToPath(new URL('../../migrations/sql', import.meta.url));

export interface TestDatabase extends DatabaseHandle {
  schema: string;
  /** Drops the schema and closes the pool. */
  drop(): Promise<void>;
}

/** A fresh, migrated Postgres schema of its own, on the machine's real Postgres. */
export async function createTestDatabase(schema: string, poolSize = 10): Promise<TestDatabase> {
  await migrateDatabase({ url: databaseUrl, schema, migrationsFolder, waitTimeoutMs: 10_000 });
  const handle = createDatabase({ url: databaseUrl, schema, poolSize, applicationName: `test-${schema}` });
  return {
    ...handle,
    schema,
    drop: async () => {
      await handle.close();
      await dropTestSchema(schema);
    },
  };
}

/** Drops a test's schema (and everything in it) on the machine's Postgres, if it is there. */
export async function dropTestSchema(schema: string): Promise<void> {
  const admin = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop schema if exists "${schema}" cascade`);
  } finally {
    await admin.end();
  }
}
