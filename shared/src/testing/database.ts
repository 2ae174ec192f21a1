import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { createDatabase, type DatabaseHandle } from '../db/client';

export interface TestDatabaseOptions {
  /** drizzle-kit migrations to apply (default: the nearest `migrations/sql` at or above the working directory). */
  migrationsFolder?: string;
}

/** A migrated Postgres in this process (PGlite), reached through postgres.js exactly as a replica reaches its database. */
export interface TestDatabase extends DatabaseHandle {
  /** Empties every table the migrations made (not drizzle's bookkeeping): a clean start for the next test. */
  truncate(): Promise<void>;
}

/** The nearest `migrations/sql` at or above `from`. */
export function findMigrationsFolder(from = process.cwd()): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const candidate = join(dir, 'migrations', 'sql');
    if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`no migrations/sql (drizzle-kit's folder) at or above ${from}: pass migrationsFolder`);
  }
}

/** Where migrated data directories are kept between runs: initdb in WASM takes seconds, loading a copy a fraction. */
function cacheDir(): string {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules'))) return join(dir, 'node_modules', '.cache', 'qfn-testing');
    if (dirname(dir) === dir) return join(tmpdir(), 'qfn-testing');
  }
}

function migrationsDigest(folder: string): string {
  // A copy made by another PGlite version fails to load and is made again (migratedPglite).
  const hash = createHash('sha256');
  const files = [
    ...readdirSync(folder)
      .filter((f) => f.endsWith('.sql'))
      .sort(),
    join('meta', '_journal.json'),
  ];
  for (const file of files)
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(folder, file)))
      .update('\0');
  return hash.digest('hex').slice(0, 24);
}

const cachedCopy = (folder: string) => join(cacheDir(), `${migrationsDigest(folder)}.tar.gz`);

/** Migrates a new PGlite and keeps a copy of its data directory for the next ones. */
async function migrateAndCache(folder: string, cached: string): Promise<PGlite> {
  const pglite = await PGlite.create();
  await migratePglite(drizzlePglite(pglite), { migrationsFolder: folder, migrationsSchema: 'drizzle' });
  const dump = Buffer.from(await (await pglite.dumpDataDir('gzip')).arrayBuffer());
  mkdirSync(dirname(cached), { recursive: true });
  // Written aside, then renamed: test files starting at once never read half a copy.
  const partial = `${cached}.${process.pid}.partial`;
  writeFileSync(partial, dump);
  renameSync(partial, cached);
  return pglite;
}

/** A PGlite with the migrations applied: from the cached copy when there is one, else migrated now and cached. */
async function migratedPglite(folder: string): Promise<PGlite> {
  const cached = cachedCopy(folder);
  if (existsSync(cached)) {
    try {
      return await PGlite.create({ loadDataDir: new Blob([readFileSync(cached)]) });
    } catch {
      // A damaged copy, or one another PGlite version made: make a new one.
    }
  }
  return migrateAndCache(folder, cached);
}

/**
 * Makes the cached migrated copy if there is none yet (a vitest globalSetup calls it once, so that test
 * files started at the same time do not each run initdb).
 */
export async function prepareTestDatabase(options: TestDatabaseOptions = {}): Promise<void> {
  const folder = options.migrationsFolder ?? findMigrationsFolder();
  const cached = cachedCopy(folder);
  if (existsSync(cached)) return;
  await (await migrateAndCache(folder, cached)).close();
}

/**
 * A migrated Postgres for tests, in this process: PGlite (PostgreSQL in WASM) served on a loopback
 * port to one postgres.js connection, so handlers and the worker run the same driver and SQL as in
 * production, without a database server. Close it when done.
 *
 * @example
 * const database = await createTestDatabase();
 * await database.db.insert(outbox).values(…);
 * await database.close();
 */
export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const pglite = await migratedPglite(options.migrationsFolder ?? findMigrationsFolder());
  // One connection: PGlite is a single session, and one client cannot interleave two sessions' messages.
  const server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: 0, maxConnections: 1 });
  await server.start();
  const handle = createDatabase({ url: `postgres://postgres@${server.getServerConn()}/postgres`, poolSize: 1, applicationName: 'qfn-test' });
  return {
    ...handle,
    async truncate() {
      const tables = await handle.sql<
        { name: string }[]
      >`select quote_ident(schemaname) || '.' || quote_ident(tablename) as name from pg_tables where schemaname not in ('pg_catalog', 'information_schema', 'drizzle')`;
      if (tables.length > 0) await handle.sql.unsafe(`truncate ${tables.map((t) => t.name).join(', ')}`);
    },
    async close(timeoutSeconds = 1) {
      try {
        await handle.close(timeoutSeconds);
      } finally {
        await server.stop();
        await pglite.close();
      }
    },
  };
}
