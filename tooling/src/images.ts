import { cpSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'esbuild';
import { bundleEntries } from './bundle';
import { type FunctionPackage, type HttpFunctionPackage, loadFunctions, loadHttpFunctions } from './functions';
import { distDir, repoRoot } from './paths';

/** Something that becomes one container image: a consumer function, the publish function, or the migration runner. */
export interface ImageTarget {
  name: string;
  kind: 'function' | 'publish' | 'migrate';
  /** Bundle name (file name without .mjs) → TypeScript entry. */
  entries: Record<string, string>;
  dockerfile: string;
  /** Image name under the registry, as the chart names it by default. */
  imageName: string;
  /** The chart value holding this image's tag. */
  tagValue: string;
}

/** A function's image: its bundle built from its entry file by the one function Dockerfile. */
function functionImage(pkg: FunctionPackage | HttpFunctionPackage, kind: 'function' | 'publish', tagValue: string): ImageTarget {
  const name = pkg.declaration.name;
  return { name, kind, entries: { index: pkg.entryFile }, dockerfile: 'docker/Dockerfile', imageName: `qfn-${name}`, tagValue };
}

/** Every image the project builds: one per declared function (consumers and the HTTP publish function), plus migrate. */
export async function imageTargets(): Promise<ImageTarget[]> {
  const functions = (await loadFunctions()).map((pkg) => functionImage(pkg, 'function', `functions.${pkg.declaration.name}.image.tag`));
  // The chart has one HTTP function, the publish function, with its values at the top level (`publish.image.tag`).
  const httpFunctions = (await loadHttpFunctions()).map((pkg) => functionImage(pkg, 'publish', `${pkg.declaration.name}.image.tag`));
  return [
    ...functions,
    ...httpFunctions,
    {
      name: 'migrate',
      kind: 'migrate',
      entries: { migrate: join(repoRoot, 'migrations', 'run.ts'), provision: join(repoRoot, 'migrations', 'provision.ts') },
      dockerfile: 'docker/migrate.Dockerfile',
      imageName: 'qfn-migrate',
      tagValue: 'migrations.image.tag',
    },
  ];
}

export async function findImageTarget(name: string): Promise<ImageTarget> {
  const targets = await imageTargets();
  const target = targets.find((t) => t.name === name);
  if (!target) throw new Error(`unknown function "${name}"; one of: ${targets.map((t) => t.name).join(', ')}`);
  return target;
}

export interface BundleReport {
  target: string;
  /** Bundle file → size in bytes, and gzip-compressed (what an image layer roughly costs). */
  files: { file: string; bytes: number; gzipBytes: number }[];
}

/**
 * Bundles one image's code with esbuild into dist/<target>/ (an .mjs per entry plus the chunks they load
 * on demand; the migration runner also gets its SQL folder), replacing what was there.
 *
 * @example
 * const report = await buildImageBundle(await findImageTarget('store-message')); // dist/store-message/index.mjs
 *
 * `plugins` go to esbuild as they are: a variant of exactly this build (a module swapped), never an image.
 */
export async function buildImageBundle(target: ImageTarget, outRoot = distDir, plugins: Plugin[] = []): Promise<BundleReport> {
  const outDir = join(outRoot, target.name);
  rmSync(outDir, { recursive: true, force: true });
  await bundleEntries(
    Object.entries(target.entries).map(([name, entryFile]) => ({ name, entryFile })),
    outDir,
    // Split and minified: the SQS adapter and OpenTelemetry load only when used, and less code compiles at start.
    { splitting: true, minify: true, sourcemap: false, plugins },
  );
  if (target.kind === 'migrate') cpSync(join(repoRoot, 'migrations', 'sql'), join(outDir, 'sql'), { recursive: true });
  const files = readdirSync(outDir)
    .filter((file) => file.endsWith('.mjs'))
    .map((file) => {
      const path = join(outDir, file);
      return { file: join(target.name, file), bytes: statSync(path).size, gzipBytes: gzipSync(readFileSync(path)).length };
    });
  return { target: target.name, files };
}
