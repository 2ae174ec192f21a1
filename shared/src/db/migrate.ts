import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

export interface MigrateOptions {
  url: string;
  /** Schema the tables go in; `public` keeps drizzle's bookkeeping in the `drizzle` schema. */
  schema: string;
  migrationsFolder: string;
  /** How long to wait for the database to accept connections. */
  waitTimeoutMs?: number;
  onWaiting?: (error: Error, attempt: number) => void;
}

/** Waits until Postgres answers, with a bounded number of tries. */
export async function waitForDatabase(url: string, timeoutMs: number, onWaiting?: (error: Error, attempt: number) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
    try {
      await sql`select 1`;
      return;
    } catch (error) {
      if (Date.now() >= deadline) throw new Error(`database not reachable after ${attempt} tries: ${(error as Error).message}`, { cause: error });
      onWaiting?.(error as Error, attempt);
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** attempt, 5_000)));
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
  }
}

/** Applies the pending migrations in one go; applied ones are skipped, so running it twice is harmless. */
export async function migrateDatabase(options: MigrateOptions): Promise<void> {
  await waitForDatabase(options.url, options.waitTimeoutMs ?? 60_000, options.onWaiting);
  const inSchema = options.schema !== 'public';
  const sql = postgres(options.url, {
    max: 1,
    onnotice: () => {},
    ...(inSchema ? { connection: { search_path: options.schema } } : {}),
  });
  try {
    if (inSchema) await sql.unsafe(`create schema if not exists "${options.schema}"`);
    await migrate(drizzle(sql), {
      migrationsFolder: options.migrationsFolder,
      migrationsSchema: inSchema ? options.schema : 'drizzle',
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
}
