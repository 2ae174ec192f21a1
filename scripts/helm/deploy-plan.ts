import type { ImageTarget } from '@qfn/tooling/images';

export interface DeployOptions {
  tag: string;
  /** Registry (and path) the chart's global.imageRegistry names, e.g. ghcr.io/acme. */
  registry: string;
  release: string;
  namespace?: string;
  /** Chart directory or reference. */
  chart: string;
  platform?: string;
  helm: string;
  docker: string;
}

export interface Command {
  program: string;
  args: string[];
}

const dockerTag = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const registryPath = /^[a-z0-9]([a-z0-9.:-]*[a-z0-9])?(\/[a-z0-9._-]+)*$/;

/**
 * The commands that ship one image: build it, push it, and upgrade the release with only that image's tag
 * changed (`--set-string`, so a tag like 1.10 stays a string). `--reset-then-reuse-values` keeps every
 * value of the installed release (like `--reuse-values`) while taking defaults for values this chart
 * version added, so only the changed Deployment rolls. With `migrate` (a function that owns tables), the
 * migration image is built and pushed at the same tag too and the upgrade sets its tag: the pre-upgrade
 * hook then applies that function's pending migrations before its new pods start (a no-op when none are).
 *
 * @example
 * deployPlan(await findImageTarget('store-message'), { tag: 'v2', registry: 'ghcr.io/acme', release: 'qfn', chart: 'helm', helm: 'helm', docker: 'docker' });
 */
export function deployPlan(target: ImageTarget, options: DeployOptions, migrate?: ImageTarget): Command[] {
  if (!dockerTag.test(options.tag)) throw new Error(`--tag ${JSON.stringify(options.tag)} is not a valid image tag`);
  if (!registryPath.test(options.registry)) throw new Error(`--registry ${JSON.stringify(options.registry)} is not a registry path like ghcr.io/acme`);
  const images = migrate && migrate.name !== target.name ? [target, migrate] : [target];
  const commands: Command[] = [];
  for (const image of images) {
    const reference = `${options.registry}/${image.imageName}:${options.tag}`;
    const build = ['build', '--file', image.dockerfile];
    if (image.kind !== 'migrate') build.push('--build-arg', `FUNCTION=${image.name}`);
    if (options.platform) build.push('--platform', options.platform);
    build.push('--tag', reference, '.');
    commands.push({ program: options.docker, args: build }, { program: options.docker, args: ['push', reference] });
  }
  const upgrade = ['upgrade', options.release, options.chart];
  if (options.namespace) upgrade.push('--namespace', options.namespace);
  upgrade.push('--reset-then-reuse-values');
  for (const image of images) upgrade.push('--set-string', `${image.tagValue}=${options.tag}`);
  upgrade.push('--wait', '--timeout', '10m');
  commands.push({ program: options.helm, args: upgrade });
  return commands;
}

/** A command as a shell line, quoting only what needs it. */
export function shellLine(command: Command): string {
  const quote = (arg: string) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);
  return [command.program, ...command.args].map(quote).join(' ');
}
