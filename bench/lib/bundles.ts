import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';
import { buildImageBundle, findImageTarget, type ImageTarget, imageTargets } from '@qfn/tooling/images';

export interface FunctionBundle {
  name: string;
  /** The entry module to run with `node`. */
  file: string;
  /** The entry plus every chunk it imports statically: what a process reads at start. */
  startupBytes: number;
  /** Every output file, including chunks only loaded on demand. */
  totalBytes: number;
}

/** The bundles the images ship (`npm run build`, scripts/build.ts): an entry module per function plus its chunks. */
export async function shippedBundles(outRoot: string): Promise<Map<string, FunctionBundle>> {
  const bundles = new Map<string, FunctionBundle>();
  for (const target of (await imageTargets()).filter((t) => t.kind !== 'migrate')) bundles.set(target.name, await imageBundle(target, outRoot));
  return bundles;
}

/**
 * One image's build with modules replaced by path suffix, and nothing else different (minified and split like the
 * image): e.g. telemetry compiled out, so "off costs nothing" compares two builds that differ only in telemetry.
 *
 * @example
 * const variant = await imageBundleVariant('publish', '/tmp/bench/no-telemetry', { 'shared/src/telemetry/process.ts': stub });
 */
export async function imageBundleVariant(name: string, outRoot: string, replace: Record<string, string>): Promise<FunctionBundle> {
  return imageBundle(await findImageTarget(name), outRoot, [replaceModules(replace)]);
}

async function imageBundle(target: ImageTarget, outRoot: string, plugins: Plugin[] = []): Promise<FunctionBundle> {
  const report = await buildImageBundle(target, outRoot, plugins);
  const dir = join(outRoot, target.name);
  return {
    name: target.name,
    file: join(dir, 'index.mjs'),
    startupBytes: staticImportBytes(dir, 'index.mjs'),
    totalBytes: report.files.reduce((sum, f) => sum + f.bytes, 0),
  };
}

/** Bytes of a module and every module it imports statically (not `import()`): what a process reads at start. */
function staticImportBytes(dir: string, entry: string): number {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const text = readFileSync(join(dir, name), 'utf8');
    for (const match of text.matchAll(/(?:from|import)\s*["']\.\/([^"']+\.mjs)["']/g)) visit(match[1]!);
  };
  visit(entry);
  return [...seen].reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

/**
 * Bundles one entry as a single ES module for Node with esbuild (not minified, not split: the images'
 * build is `shippedBundles`), for the baselines a figure builds itself (bare Hono).
 *
 * @example
 * const bundle = await bundleFunction('bare-hono', 'bench/bare-hono.ts', '/tmp/bench');
 * spawn('node', [bundle.file]);
 */
export async function bundleFunction(name: string, entryFile: string, outRoot: string): Promise<FunctionBundle> {
  const outdir = join(outRoot, name);
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: { [name]: entryFile },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    metafile: true,
    logLevel: 'error',
    // CommonJS dependencies inside an ES module bundle still call require() for Node built-ins.
    banner: { js: "import{createRequire as __qfnRequire}from'node:module';const require=__qfnRequire(import.meta.url);" },
  });
  const metafile = result.metafile;
  const entryOutput = Object.keys(metafile.outputs).find((path) => path.endsWith(`/${name}.mjs`))!;
  return {
    name,
    file: join(process.cwd(), entryOutput),
    startupBytes: staticClosureBytes(metafile, entryOutput),
    totalBytes: Object.values(metafile.outputs).reduce((sum, output) => sum + output.bytes, 0),
  };
}

function staticClosureBytes(metafile: Metafile, entry: string): number {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const imported of metafile.outputs[path]?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
    }
  };
  visit(entry);
  return [...seen].reduce((sum, path) => sum + (metafile.outputs[path]?.bytes ?? 0), 0);
}

function replaceModules(replacements: Record<string, string>): Plugin {
  return {
    name: 'bench-replace-modules',
    setup(builder) {
      builder.onLoad({ filter: /\.ts$/ }, (args) => {
        const suffix = Object.keys(replacements).find((s) => args.path.endsWith(s));
        if (!suffix) return undefined;
        return { contents: replacements[suffix]!, loader: 'ts', resolveDir: join(args.path, '..') };
      });
    },
  };
}
