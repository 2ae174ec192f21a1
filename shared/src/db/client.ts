import { drizzle, type PostgresJsQueryResultHKT } from 'drizzle-orm/postgres-js';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import postgres from 'postgres';

/** A drizzle database or transaction on postgres.js. */
export type Database = PgDatabase<PostgresJsQueryResultHKT>;

export interface DatabaseOptions {
  url: string;
  /** Postgres schema put first on the search_path (tests use one each). */
  schema?: string;
  poolSize: number;
  applicationName?: string;
  /** Wraps the client before drizzle sees it (query tracing). */
  instrument?: (sql: postgres.Sql) => postgres.Sql;
}

export interface DatabaseHandle {
  sql: postgres.Sql;
  db: Database;
  ping(): Promise<boolean>;
  close(timeoutSeconds?: number): Promise<void>;
}

/** One bounded postgres.js pool per process, with drizzle on top. */
export function createDatabase(options: DatabaseOptions): DatabaseHandle {
  const sql = postgres(options.url, {
    max: options.poolSize,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
    connection: {
      application_name: options.applicationName ?? 'qfn',
      ...(options.schema && options.schema !== 'public' ? { search_path: `${options.schema},public` } : {}),
    },
  });
  const db = drizzle(options.instrument ? options.instrument(sql) : sql) as unknown as Database;
  return {
    sql,
    db,
    async ping() {
      try {
        await sql`select 1`;
        return true;
      } catch {
        return false;
      }
    },
    close: (timeoutSeconds = 5) => sql.end({ timeout: timeoutSeconds }),
  };
}
