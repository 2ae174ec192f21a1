/**
 * `npm run deploy -- <function> --tag <tag> [--registry <registry>] [--release qfn] [--namespace <ns>]
 *   [--chart helm] [--platform linux/amd64] [--migrations auto|always|never] [--dry-run]`
 *
 * Builds and pushes one function's image (or `publish`, or `migrate`), then upgrades the Helm release
 * changing only that image's tag, so only its Deployment rolls. A function that owns tables
 * (functions/<name>/src/schema.ts) ships the migration image at the same tag too, so the pre-upgrade hook
 * creates its tables before its pods start. --dry-run prints the commands instead.
 * The registry defaults to QFN_IMAGE_REGISTRY and must match the release's global.imageRegistry.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { migrationsBehindSchema } from './generate';
import { commandLine, usageError } from '@qfn/tooling/command-line';
import { repoRoot } from '@qfn/tooling/paths';
import { deployPlan, shellLine } from './helm/deploy-plan';
import { findImageTarget, type ImageTarget } from '@qfn/tooling/images';

const usage = `Usage: npm run deploy -- <function> --tag <tag> [options]

  --tag <tag>               image tag to build, push and roll out (required)
  --registry <registry>     registry the chart pulls from, its global.imageRegistry (default QFN_IMAGE_REGISTRY)
  --release <name>          Helm release (default qfn)
  --namespace <ns>          its namespace
  --chart <dir|ref>         the chart (default helm)
  --platform <os/arch>      docker build --platform
  --migrations <when>       auto (default): also ship the migration image when the function owns tables
                            (src/schema.ts); always; never
  --dry-run                 print the commands, run nothing`;

const { values, positionals } = commandLine(
  usage,
  {
    tag: { type: 'string' },
    registry: { type: 'string', default: process.env['QFN_IMAGE_REGISTRY'] ?? '' },
    release: { type: 'string', default: 'qfn' },
    namespace: { type: 'string' },
    chart: { type: 'string', default: 'helm' },
    platform: { type: 'string' },
    migrations: { type: 'string', default: 'auto' },
    'dry-run': { type: 'boolean', default: false },
  },
  { positionals: true },
);
const fail = (message: string): never => usageError(usage, `deploy: ${message}`);
if (positionals.length !== 1) fail('name exactly one function');
if (!values.tag) fail('--tag is required');
if (!values.registry) fail('--registry (or QFN_IMAGE_REGISTRY) is required: the registry the chart pulls from (global.imageRegistry)');
if (!['auto', 'always', 'never'].includes(values.migrations)) fail(`--migrations must be auto, always or never, got ${JSON.stringify(values.migrations)}`);

/** Whether the function's tables (and so possibly new migrations) ship with it. */
function shipsMigrations(target: ImageTarget): boolean {
  if (target.kind === 'migrate' || values.migrations === 'never') return false;
  if (values.migrations === 'always') return true;
  return target.kind === 'function' && Object.values(target.entries).some((entry) => existsSync(join(dirname(entry), 'schema.ts')));
}

let plan;
try {
  const target = await findImageTarget(positionals[0]!);
  const withMigrations = shipsMigrations(target) || target.kind === 'migrate';
  if (withMigrations) {
    const behind = migrationsBehindSchema();
    if (behind) fail(`the SQL migrations are behind the tables (would ${behind}): run npm run db:generate and commit it first`);
  }
  plan = deployPlan(
    target,
    {
      tag: values.tag!,
      registry: values.registry,
      release: values.release,
      chart: values.chart,
      helm: process.env['HELM'] ?? 'helm',
      docker: process.env['DOCKER'] ?? 'docker',
      ...(values.namespace ? { namespace: values.namespace } : {}),
      ...(values.platform ? { platform: values.platform } : {}),
    },
    shipsMigrations(target) ? await findImageTarget('migrate') : undefined,
  );
} catch (error) {
  fail((error as Error).message);
}

for (const command of plan!) {
  console.log(values['dry-run'] ? shellLine(command) : `$ ${shellLine(command)}`);
  if (values['dry-run']) continue;
  const result = spawnSync(command.program, command.args, { cwd: repoRoot, stdio: 'inherit' });
  if (result.error) fail(`could not run ${command.program}: ${result.error.message}`);
  if (result.status !== 0) {
    console.error(`deploy: ${command.program} exited ${result.status}; stopping`);
    process.exit(result.status ?? 1);
  }
}
