/**
 * `npm run new:function -- <name> [--subscribes a.b,c.*] [--description "…"] [--no-table] [--skip-install]`:
 * scaffolds functions/<name>/ (package.json, src/events.ts with its own event type, src/function.ts with its
 * declaration, src/schema.ts with its table, src/main.ts, a unit test on @qfn/shared/testing), generates the table's SQL migration, links the
 * workspace and regenerates what derives from declarations (KEDA manifests, chart values, the publish
 * function's queue list). Its poolSize and maxReplicaCount fit the chart's default Postgres connection
 * budget with the other functions at their most replicas. `npm start` picks the function up with no other step.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { declaredEventDefinitions } from './event-catalog';
import { commandLine, usageError } from '@qfn/tooling/command-line';
import { connectionBudget, fittingScaling } from './lib/connection-budget';
import { eventType } from '@qfn/shared/platform';
import { loadFunctions } from '@qfn/tooling/functions';
import { functionsDir, repoRoot } from '@qfn/tooling/paths';

const templateDir = fileURLToPath(new URL('./templates/new-function', import.meta.url));

/** The declaration's own rules (defineFunction checks them again when the function loads). */
const dnsLabel = /^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$/;
const topicPattern = /^(\*|#|[A-Za-z0-9_-]+)(\.(\*|#|[A-Za-z0-9_-]+))*$/;
const reservedNames = new Set(['publish', 'shared', 'migrate']);

export interface NewFunctionOptions {
  name: string;
  subscribes: string[];
  description: string;
  /** Scaffold src/schema.ts with a table the handler writes (default true). */
  table?: boolean;
  /** Postgres connections per replica and most replicas; 2 and 5 when absent. */
  poolSize?: number;
  maxReplicaCount?: number;
}

/** The type of the event a new function declares for itself when no --subscribes is given. */
export const defaultEventType = (name: string) => `${name}.requested`;

/**
 * Why a scaffold request cannot be honoured, or undefined. The first subscription is the event type the
 * function declares for itself (src/events.ts), so it must be a type, not a pattern, and one no other
 * package declares; the others may be topic patterns.
 */
export function invalidRequest(options: NewFunctionOptions, targetDir: string, declaredTypes: ReadonlySet<string> = new Set()): string | undefined {
  if (!dnsLabel.test(options.name)) return `name "${options.name}" must be a DNS label: a-z, 0-9 and "-", starting with a letter, at most 40 characters`;
  if (reservedNames.has(options.name)) return `name "${options.name}" is taken by the platform`;
  if (options.subscribes.length === 0) return 'give at least one event type to subscribe to';
  const badPattern = options.subscribes.find((pattern) => !topicPattern.test(pattern));
  if (badPattern) return `"${badPattern}" is not a topic pattern (dot-separated words, * for one word, # for any)`;
  const own = options.subscribes[0]!;
  if (!eventType.safeParse(own).success) {
    return `the first of --subscribes, "${own}", is the event type the function declares (src/events.ts): dot-separated lower-case words, no * or #, e.g. text.submitted; patterns may follow it`;
  }
  if (declaredTypes.has(own))
    return `event type ${own} is declared already (events/catalog.json): give the new function a type of its own first, e.g. ${defaultEventType(options.name)}`;
  if (existsSync(targetDir)) return `${relative(repoRoot, targetDir)} already exists`;
  return undefined;
}

const camelCase = (name: string) => name.replace(/[-._]([a-z0-9])/g, (_, c: string) => c.toUpperCase()).replace(/[-._]/g, '');

/** `{{#key}}…{{/key}}` keeps its lines when the flag is on, `{{^key}}…{{/key}}` when it is off. */
function renderSections(template: string, flags: Record<string, boolean>): string {
  return template.replace(/^\{\{([#^])(\w+)\}\}\n([\s\S]*?)^\{\{\/\2\}\}\n/gm, (_, kind: string, key: string, body: string) =>
    (kind === '#') === Boolean(flags[key]) ? body : '',
  );
}

/** The package's files, relative path → content, from the templates (files that render empty are left out). */
export function renderFunctionFiles(options: NewFunctionOptions): Map<string, string> {
  const [ownType, ...patterns] = options.subscribes as [string, ...string[]];
  const camelName = camelCase(options.name);
  // The event's constant is named after its type (text.submitted → textSubmitted), apart from the function's.
  const eventConst = camelCase(ownType) === camelName ? `${camelName}Event` : camelCase(ownType);
  const values: Record<string, string> = {
    name: options.name,
    camelName,
    snakeName: options.name.replaceAll('-', '_'),
    description: options.description.replace(/\*\//g, '* /').replace(/[\\']/g, (c) => `\\${c}`),
    eventType: ownType,
    eventConst,
    subscribes: `[${[eventConst, ...patterns.map((pattern) => `'${pattern}'`)].join(', ')}]`,
    poolSize: String(options.poolSize ?? 2),
    maxReplicaCount: String(options.maxReplicaCount ?? 5),
  };
  const flags = { table: options.table ?? true, patterns: patterns.length > 0 };
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.tmpl')) {
        const content = renderSections(readFileSync(path, 'utf8'), flags).replace(/\{\{(\w+)\}\}/g, (_, key: string) => values[key] ?? `{{${key}}}`);
        if (content.trim()) files.set(relative(templateDir, path).slice(0, -'.tmpl'.length), content);
      }
    }
  };
  walk(templateDir);
  return files;
}

export function writeFunctionPackage(targetDir: string, files: Map<string, string>): void {
  for (const [path, content] of files) {
    mkdirSync(dirname(join(targetDir, path)), { recursive: true });
    writeFileSync(join(targetDir, path), content);
  }
}

function run(command: string, args: string[]): boolean {
  console.log(`\n$ ${command} ${args.join(' ')}`);
  return spawnSync(command, args, { cwd: repoRoot, stdio: 'inherit' }).status === 0;
}

const usage = `Usage: npm run new:function -- <name> [options]

Scaffolds functions/<name>/: its own event type (src/events.ts, defineEvent with a zod schema), its
declaration subscribed to it (src/function.ts), a table it writes (src/schema.ts) and its SQL migration
(migrations/sql/), the container entry (src/main.ts) and a unit test that needs no services; then links the
workspace and regenerates what derives from declarations (KEDA manifests, chart values, the event catalog).

  --subscribes <a.b,c.*>   the event type it declares and receives, then any topic patterns it also receives
                           (* one word, # any; read with the same schema) (default <name>.requested)
  --description <text>     one line saying what it does
  --no-table               no src/schema.ts and no migration: the handler only logs
  --skip-install           do not run npm install (the workspace link) afterwards

Example: npm run new:function -- word-count --subscribes text.submitted`;

async function main(): Promise<void> {
  const { values, positionals } = commandLine(
    usage,
    {
      subscribes: { type: 'string' },
      description: { type: 'string' },
      'no-table': { type: 'boolean', default: false },
      'skip-install': { type: 'boolean', default: false },
    },
    { positionals: true },
  );
  if (positionals.length !== 1) usageError(usage, positionals.length === 0 ? 'name the function' : `one name only, got ${positionals.join(' ')}`);
  const name = positionals[0]!;
  const table = !values['no-table'];

  const budget = connectionBudget((await loadFunctions()).map((fn) => fn.declaration));
  const scaling = fittingScaling(budget.left);
  const subscribes = (values.subscribes ?? defaultEventType(name))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const options: NewFunctionOptions = {
    name,
    subscribes,
    description: values.description ?? `Handles ${subscribes.join(', ')} events`,
    table,
    ...scaling,
  };
  const targetDir = join(functionsDir, name);
  const problem =
    invalidRequest(options, targetDir, new Set((await declaredEventDefinitions()).keys())) ??
    (scaling
      ? undefined
      : `the chart's default Postgres connection budget is spent (${budget.used} of ${budget.budget}: ${budget.parts.join('; ')}): ` +
        "lower another function's maxReplicaCount or poolSize, or raise database.maxConnections in helm/values.yaml");
  if (problem) usageError(usage, `new:function: ${problem}`);

  const files = renderFunctionFiles(options);
  writeFunctionPackage(targetDir, files);
  for (const path of files.keys()) console.log(`created ${relative(repoRoot, join(targetDir, path))}`);
  console.log(
    `Postgres: poolSize ${scaling!.poolSize} x maxReplicaCount ${scaling!.maxReplicaCount} = ${scaling!.poolSize * scaling!.maxReplicaCount} connections ` +
      `(the chart's default budget had ${budget.left} of ${budget.budget} left)`,
  );

  // The install only links the new workspace: its dependency warnings were shown whole at the first install.
  const steps: [string, string[]][] = [
    ...(values['skip-install'] ? [] : [['npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error']] as [string, string[]]]),
    ...(table ? [['npm', ['run', '--silent', 'db:generate', '--', '--name', `create_${name.replaceAll('-', '_')}`]] as [string, string[]]] : []),
    ['npm', ['run', '--silent', 'generate']],
  ];
  const failed: string[] = [];
  for (const [command, args] of steps) {
    if (!run(command, args)) {
      failed.push(`${command} ${args.join(' ')}`);
      break; // the later steps read what the earlier ones write
    }
  }

  const declaration = (await import(pathToFileURL(join(targetDir, 'src', 'function.ts')).href)) as { default: { name: string } };
  console.log(`\n${declaration.default.name}: declared, subscribed to ${options.subscribes.join(', ')}.`);
  console.log(
    `Next: edit its event's fields in functions/${name}/src/events.ts and its handler in src/function.ts${table ? ` (its table in src/schema.ts, then npm run db:generate)` : ''},`,
  );
  console.log(`run its test (npx vitest run functions/${name}: no services needed), then \`npm start\` runs it and scales it from zero:`);
  console.log(`  npm run publish:load -- --type ${subscribes[0]} --data '{"text":"hello world"}' --count 100`);
  if (failed.length > 0) {
    console.error(`\nthis step failed; fix what it says and run it again: ${failed.join('; ')}`);
    process.exit(1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
