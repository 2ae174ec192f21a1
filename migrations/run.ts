/**
 * The migration runner (`npm run migrate`, and the Helm pre-install/pre-upgrade hook Job):
 * waits for the database, applies pending migrations, exits non-zero with the reason on failure.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { loadConfig, migrateDatabase, redactUrl, url } from '@qfn/shared/platform';
import { commandLine } from '@qfn/tooling/command-line';

commandLine(
  `Usage: npm run migrate

Waits for the database, applies the pending SQL migrations (migrations/sql), exits 1 with the reason on failure.
Environment: DATABASE_URL, DATABASE_SCHEMA (public), MIGRATE_WAIT_SECONDS (60), MIGRATIONS_DIR.`,
  {},
);

const config = loadConfig(
  z.object({
    DATABASE_URL: url(['postgres', 'postgresql'], 'postgres://postgres@127.0.0.1:5432/postgres'),
    DATABASE_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/, 'must be a lower-case SQL identifier')
      .default('public'),
    MIGRATE_WAIT_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
    MIGRATIONS_DIR: z.string().optional(),
  }),
);

const migrationsFolder = config.MIGRATIONS_DIR ?? fileURLToPath(new URL('./sql', import.meta.url));
const target = `${redactUrl(config.DATABASE_URL)} (schema ${config.DATABASE_SCHEMA})`;
const started = Date.now();
try {
  await migrateDatabase({
    url: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    migrationsFolder,
    waitTimeoutMs: config.MIGRATE_WAIT_SECONDS * 1000,
    onWaiting: (error, attempt) => console.error(`migrate: waiting for ${target} (try ${attempt}): ${error.message}`),
  });
  console.log(`migrate: ${target} is up to date (${Date.now() - started} ms)`);
} catch (error) {
  console.error(`migrate: FAILED for ${target}: ${(error as Error).message}`);
  process.exit(1);
}
