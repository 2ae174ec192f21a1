/**
 * `npm run generate`: the one command that writes what derives from the functions' declarations — the KEDA
 * manifests in keda/, the chart's `functions:` values, their part of values.schema.json and the queue specs,
 * the publish function's queue list, the event catalog, the console's page assets — and the SQL migrations when they are behind the
 * tables (`npm run db:generate`). `--check` changes nothing and exits 1 naming what is stale and the command
 * to run (`npm test` runs it first).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { commandLine } from '@qfn/tooling/command-line';
import { loadFunctions, type FunctionPackage } from '@qfn/tooling/functions';
import { functionsDir, repoRoot } from '@qfn/tooling/paths';
import { driftedFiles, generatedFiles, staleFiles } from './helm/generated-files';
import { currentFunctionQueues, functionQueuesFile } from './function-queues';
import { breakingChanges, declaredCatalog, eventCatalogFile, eventDefinitionsFile, renderCatalog, renderEventDefinitions } from './event-catalog';
import { generatedPath as consoleAssetsFile, renderAssetsModule } from '../console/build-assets';

export interface Staleness {
  /** Generated files that differ from what their sources give (repository-relative). */
  derived: string[];
  /** Tables whose SQL migration has not been generated yet (drizzle-kit's summary), empty when up to date. */
  migrations: string | undefined;
  /** Event schema changes that would break a subscriber (events/catalog.json against the definitions). */
  breakingEvents: string[];
}

async function expectedDerivedFiles(packages: readonly FunctionPackage[]): Promise<Map<string, string>> {
  const files = generatedFiles(packages);
  files.set(functionQueuesFile, await currentFunctionQueues());
  files.set(eventDefinitionsFile, renderEventDefinitions());
  files.set(eventCatalogFile, renderCatalog(await declaredCatalog(packages)));
  files.set(consoleAssetsFile, await renderAssetsModule());
  return files;
}

/** Rewrites every derived file that is stale; returns the ones it changed or removed. */
export async function writeDerivedFiles(packages?: readonly FunctionPackage[]): Promise<string[]> {
  const loaded = packages ?? (await loadFunctions());
  const breaking = breakingChanges(await declaredCatalog(loaded));
  if (breaking.length > 0) throw new BreakingEventChange(breaking);
  const files = await expectedDerivedFiles(loaded);
  const changed: string[] = [];
  for (const path of staleFiles(files)) {
    rmSync(path);
    changed.push(relative(repoRoot, path));
  }
  for (const [path, content] of files) {
    if (existsSync(path) && readFileSync(path, 'utf8') === content) continue;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    changed.push(relative(repoRoot, path));
  }
  return changed;
}

/**
 * Whether `drizzle-kit generate` would write a migration: runs it against a copy of migrations/sql
 * (~1.5 s) and reports what the new file would do, or undefined when the SQL matches the schema files.
 */
export function migrationsBehindSchema(): string | undefined {
  // An answer of "up to date" is remembered for exactly these schema files and migrations.
  const inputs = createHash('sha256');
  for (const dir of readdirSync(functionsDir).sort()) {
    const file = join(functionsDir, dir, 'src', 'schema.ts');
    if (existsSync(file)) inputs.update(`${file}\0${readFileSync(file, 'utf8')}\0`);
  }
  const sqlDir = join(repoRoot, 'migrations', 'sql');
  for (const file of [
    join(repoRoot, 'shared', 'src', 'db', 'schema.ts'),
    join(repoRoot, 'events', 'src', 'schema.ts'),
    ...readdirSync(join(sqlDir, 'meta'))
      .sort()
      .map((f) => join(sqlDir, 'meta', f)),
  ]) {
    inputs.update(`${file}\0${readFileSync(file, 'utf8')}\0`);
  }
  const upToDateMark = join(repoRoot, 'node_modules', '.cache', 'qfn-migration-check', inputs.digest('hex'));
  if (existsSync(upToDateMark)) return undefined;
  const behind = runDrizzleKitOnCopy();
  if (!behind) {
    rmSync(dirname(upToDateMark), { recursive: true, force: true });
    mkdirSync(dirname(upToDateMark), { recursive: true });
    writeFileSync(upToDateMark, '');
  }
  return behind;
}

function runDrizzleKitOnCopy(): string | undefined {
  const scratch = join(repoRoot, 'node_modules', '.cache', `qfn-migration-copy-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    const out = join(scratch, 'sql');
    cpSync(join(repoRoot, 'migrations', 'sql'), out, { recursive: true });
    const config = join(scratch, 'drizzle.config.mjs');
    // The schema globs of drizzle.config.ts, output to the copy.
    writeFileSync(
      config,
      `export default ${JSON.stringify({ dialect: 'postgresql', schema: ['./shared/src/db/schema.ts', './events/src/schema.ts', './functions/*/src/schema.ts'], out: `./${relative(repoRoot, out)}` })};\n`,
    );
    const before = new Set(readdirSync(out));
    const drizzleKit = join(repoRoot, 'node_modules', '.bin', 'drizzle-kit');
    const result = spawnSync(drizzleKit, ['generate', '--config', config], { cwd: repoRoot, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`drizzle-kit generate failed: ${(result.stderr || result.stdout).trim()}`);
    const added = readdirSync(out).filter((file) => file.endsWith('.sql') && !before.has(file));
    if (added.length === 0) return undefined;
    const statements = readFileSync(join(out, added[0]!), 'utf8')
      .split('--> statement-breakpoint')
      .map((statement) =>
        statement
          .trim()
          .split('\n')[0]!
          .replace(/\s*\($/, ''),
      )
      .filter(Boolean);
    return statements.join('; ');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export async function staleness(): Promise<Staleness> {
  const packages = await loadFunctions();
  return {
    derived: driftedFiles(await expectedDerivedFiles(packages)),
    migrations: migrationsBehindSchema(),
    breakingEvents: breakingChanges(await declaredCatalog(packages)),
  };
}

/** The declared events changed in a way that breaks a subscriber, without a raised version. */
export class BreakingEventChange extends Error {
  override name = 'BreakingEventChange';
  constructor(readonly changes: string[]) {
    super(breakingEventsReport(changes));
  }
}

function breakingEventsReport(changes: string[]): string {
  return `event schema changes that break subscribers (events/catalog.json):\n${changes.map((c) => `  ${c}`).join('\n')}\n  make the change compatible (an optional field, a default), or raise the event's version (defineEvent(type, schema, { version })) and regenerate`;
}

/** The lines telling the user what is stale and what to run, empty when nothing is. */
export function stalenessReport(state: Staleness): string[] {
  const lines: string[] = [];
  if (state.derived.length > 0) lines.push(`out of date with the declarations (or console/page/): ${state.derived.join(', ')}\n  run: npm run generate`);
  if (state.breakingEvents.length > 0) lines.push(breakingEventsReport(state.breakingEvents));
  if (state.migrations) lines.push(`the SQL migrations are behind the tables in */src/schema.ts (would ${state.migrations})\n  run: npm run db:generate`);
  return lines;
}

const usage = `Usage: npm run generate [-- --check]

The one command that writes generated files. From the functions' declarations: keda/<broker>/,
helm/values.yaml's functions: block, the functions' part of helm/values.schema.json, helm/files/queue-specs.json,
functions/publish/src/function-queues.generated.ts, the event catalog events/catalog.json and
functions/publish/src/event-definitions.generated.ts. From console/page/: console/assets.generated.ts. And the SQL
migrations (npm run db:generate) when they are behind the tables in */src/schema.ts.
  --check   change nothing; exit 1 naming what is stale and the command to run`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = commandLine(usage, { check: { type: 'boolean', default: false } });
  if (values.check) {
    const report = stalenessReport(await staleness());
    if (report.length > 0) {
      console.error(`generated files are stale:\n${report.join('\n')}`);
      process.exit(1);
    }
    console.log('generate: everything derived from the functions is up to date');
  } else {
    const changed = await writeDerivedFiles().catch((error: unknown) => {
      if (!(error instanceof BreakingEventChange)) throw error;
      console.error(error.message);
      process.exit(1);
    });
    console.log(changed.length > 0 ? `generate: wrote ${changed.join(', ')}` : 'generate: derived files already up to date');
    const migrations = migrationsBehindSchema();
    if (migrations) {
      console.log(`generate: the SQL migrations are behind the tables (${migrations})\n$ npm run db:generate`);
      const result = spawnSync('npm', ['run', '--silent', 'db:generate'], { cwd: repoRoot, stdio: 'inherit' });
      if (result.status !== 0) process.exit(result.status ?? 1);
    }
  }
}
