import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';

/**
 * Packages that load files of their own at run time and so cannot be inlined: piscina starts its
 * threads from node_modules/piscina/dist/worker.js. They stay imports and are copied beside the
 * bundle (`<outDir>/node_modules/<name>`) when a bundle imports them.
 */
const shippedAsFiles = ['piscina'];

/**
 * Worker-thread modules beside an entry (`src/*.worker.ts`), each bundled as its own entry
 * `<name>.worker.mjs` in the same folder, where the code that starts the threads looks for it
 * (`new URL('./<name>.worker.mjs', import.meta.url)`).
 */
function workerEntries(entries: readonly BundleEntry[]): Record<string, string> {
  const workers: Record<string, string> = {};
  for (const entry of entries) {
    const dir = dirname(entry.entryFile);
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.worker.ts'))) {
      const name = basename(file, '.ts');
      const path = join(dir, file);
      if (workers[name] && workers[name] !== path) throw new Error(`two bundles would ship ${name}.mjs: ${workers[name]} and ${path}; rename one`);
      if (entries.some((other) => other.name === name)) throw new Error(`${path} would overwrite the bundle ${name}.mjs; rename it`);
      workers[name] = path;
    }
  }
  return workers;
}

/** What a package needs at run time: its code, manifests and licence, not its sources, tests or type declarations. */
function isRuntimeFile(path: string): boolean {
  const name = basename(path);
  if (!name.includes('.')) return !['src', 'test', 'tests', 'benchmark', 'benchmarks', 'docs', 'examples'].includes(name) || name.startsWith('LICENSE');
  return /\.(js|mjs|cjs|json|node)$/.test(name) || name.startsWith('LICENSE');
}

/** The package.json Node would find for `name` from `from` (walking up the node_modules folders; not every package exports it). */
function packageManifest(name: string, from: string): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const manifest = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(manifest)) return manifest;
    if (dirname(dir) === dir) throw new Error(`${name} is not installed (looked from ${from})`);
  }
}

/** Copies each package of `shippedAsFiles` that a bundle imports, with its dependencies, into `<outDir>/node_modules`. */
function shipPackageFiles(metafile: Metafile, entries: readonly BundleEntry[], outDir: string): void {
  const imported = new Set(Object.values(metafile.outputs).flatMap((output) => output.imports.filter((i) => i.external).map((i) => i.path)));
  const copy = (name: string, from: string) => {
    const target = join(outDir, 'node_modules', name);
    if (existsSync(target)) return;
    const manifest = packageManifest(name, from);
    cpSync(dirname(manifest), target, { recursive: true, filter: isRuntimeFile });
    const { dependencies = {} } = JSON.parse(readFileSync(manifest, 'utf8')) as { dependencies?: Record<string, string> };
    for (const dependency of Object.keys(dependencies)) copy(dependency, manifest);
  };
  for (const name of shippedAsFiles.filter((pkg) => imported.has(pkg))) copy(name, entries[0]!.entryFile);
}

export interface BundleEntry {
  /** Output file name (without extension): the function's name. */
  name: string;
  entryFile: string;
}

export interface BundleOptions {
  /**
   * Code shared by entries and code behind dynamic imports (the SQS adapter, OpenTelemetry) goes to
   * chunk files loaded only when needed: ~215 ms to "consuming" instead of ~325 ms on RabbitMQ here.
   * Off by default: a container image copies its one entry file.
   */
  splitting?: boolean;
  /** Smaller files that compile faster (the images use it; local mode keeps readable stack traces). */
  minify?: boolean;
  /** Write .map files beside the bundles (default true; images leave them out). */
  sourcemap?: boolean;
  /** esbuild plugins, e.g. one that swaps a module for a variant of the same build (the benchmarks' "telemetry compiled out"). */
  plugins?: Plugin[];
}

/**
 * Bundles entry points into one ES module each, so a replica starts with plain `node` instead of
 * compiling TypeScript on every start with tsx (~550 ms to "consuming" here). Worker-thread modules
 * beside an entry and the packages that must stay files go into the same folder.
 *
 * @example
 * const files = await bundleEntries([{ name: 'store-message', entryFile: 'functions/store-message/src/main.ts' }], outDir);
 * files.get('store-message'); // <outDir>/store-message.mjs
 */
export async function bundleEntries(entries: readonly BundleEntry[], outDir: string, options: BundleOptions = {}): Promise<Map<string, string>> {
  if (entries.length === 0) return new Map();
  const { metafile } = await build({
    splitting: options.splitting ?? false,
    minify: options.minify ?? false,
    entryPoints: { ...workerEntries(entries), ...Object.fromEntries(entries.map((entry) => [entry.name, entry.entryFile])) },
    external: shippedAsFiles,
    metafile: true,
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: options.sourcemap === false ? false : 'linked',
    logLevel: 'error',
    plugins: options.plugins ?? [],
    // CommonJS dependencies inside an ES module bundle still call require() for Node built-ins.
    banner: { js: "import { createRequire as __qfnCreateRequire } from 'node:module'; const require = __qfnCreateRequire(import.meta.url);" },
  });
  shipPackageFiles(metafile, entries, outDir);
  return new Map(entries.map((entry) => [entry.name, join(outDir, `${entry.name}.mjs`)]));
}
