/**
 * `npm run deploy -- <function> --tag <tag> [--registry <registry>] [--release qfn] [--namespace <ns>]
 *   [--chart helm] [--platform linux/amd64] [--dry-run]`
 *
 * Builds and pushes one function's image (or `publish`, or `migrate`), then upgrades the Helm release
 * changing only that image's tag, so only its Deployment rolls. --dry-run prints the commands instead.
 * The registry defaults to QFN_IMAGE_REGISTRY and must match the release's global.imageRegistry.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { repoRoot } from './lib/functions';
import { deployPlan, shellLine } from './helm/deploy-plan';
import { findImageTarget } from './helm/images';

const usage = 'usage: npm run deploy -- <function> --tag <tag> [--registry <registry>] [--release qfn] [--namespace <ns>] [--chart helm] [--platform <os/arch>] [--dry-run]';

function fail(message: string): never {
  console.error(`deploy: ${message}\n${usage}`);
  process.exit(64);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      tag: { type: 'string' },
      registry: { type: 'string', default: process.env.QFN_IMAGE_REGISTRY ?? '' },
      release: { type: 'string', default: 'qfn' },
      namespace: { type: 'string' },
      chart: { type: 'string', default: 'helm' },
      platform: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
} catch (error) {
  fail((error as Error).message);
}
const { values, positionals } = parsed;
if (positionals.length !== 1) fail('name exactly one function');
if (!values.tag) fail('--tag is required');
if (!values.registry) fail('--registry (or QFN_IMAGE_REGISTRY) is required: the registry the chart pulls from (global.imageRegistry)');

let plan;
try {
  plan = deployPlan(await findImageTarget(positionals[0]!), {
    tag: values.tag,
    registry: values.registry,
    release: values.release,
    chart: values.chart,
    helm: process.env.HELM ?? 'helm',
    docker: process.env.DOCKER ?? 'docker',
    ...(values.namespace ? { namespace: values.namespace } : {}),
    ...(values.platform ? { platform: values.platform } : {}),
  });
} catch (error) {
  fail((error as Error).message);
}

for (const command of plan) {
  console.log(values['dry-run'] ? shellLine(command) : `$ ${shellLine(command)}`);
  if (values['dry-run']) continue;
  // The Dockerfiles use BuildKit's RUN --mount; Docker 20.10–22 build with the legacy builder unless asked.
  const result = spawnSync(command.program, command.args, { cwd: repoRoot, stdio: 'inherit', env: { DOCKER_BUILDKIT: '1', ...process.env } });
  if (result.error) fail(`could not run ${command.program}: ${result.error.message}`);
  if (result.status !== 0) {
    console.error(`deploy: ${command.program} exited ${result.status}; stopping`);
    process.exit(result.status ?? 1);
  }
}
