/**
 * `npm run bench` runs every figure; `npm run bench -- publish consume` runs the ones named.
 * BENCH_RUNS (timed runs per figure, default 3) and BENCH_SECONDS (seconds per load run, default 5)
 * trade time for steadier medians; BENCH_NODE=24 runs the measured processes on the pinned Node 24 (lib/node.ts). Needs RabbitMQ, Postgres and wrk; see README "Performance".
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { coldStart } from './figures/cold-start';
import { bundle } from './figures/bundle';
import { consume } from './figures/consume';
import { containers } from './figures/containers';
import { e2e } from './figures/e2e';
import { idleRss } from './figures/idle-rss';
import { scaleFromZero } from './figures/scale-from-zero';
import { publish } from './figures/publish';
import { bundleFunction, shippedBundles, type FunctionBundle } from './lib/bundles';
import type { BenchContext, Figure, FigureLine } from './lib/figure';
import { formatSummary, summariseProfile } from './lib/profile';
import { measuredNode } from './lib/node';
import { formatLine, formatTable } from './lib/report';

const figures: Figure[] = [publish, consume, e2e, scaleFromZero, coldStart, idleRss, bundle, containers];

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`usage: npm run bench [-- <figure>...]   figures: ${figures.map((f) => f.name).join(', ')}
env: BENCH_RUNS (runs per figure, 3), BENCH_SECONDS (s per load run, 5), BENCH_PROFILE=1 (--cpu-prof the measured processes),
     BENCH_PROFILE_DIR, BENCH_NODE (24, or a path to node: the Node the measured processes run), BENCH_MESSAGES (consume, 30000)`);
  process.exit(0);
}
const requested = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const unknown = requested.filter((name) => !figures.some((figure) => figure.name === name));
if (unknown.length > 0) {
  console.error(`unknown figure(s): ${unknown.join(', ')}; known: ${figures.map((f) => f.name).join(', ')}`);
  process.exit(64);
}
const selected = requested.length === 0 ? figures : figures.filter((figure) => requested.includes(figure.name));

const outDir = mkdtempSync(join(tmpdir(), 'qfn-bench-'));
// BENCH_PROFILE=1: the measured processes run with --cpu-prof; profiles stay in BENCH_PROFILE_DIR after the run.
const profiling = process.env['BENCH_PROFILE'] === '1';
const profileDir = process.env['BENCH_PROFILE_DIR'] ?? join(process.cwd(), '.bench-profiles', new Date().toISOString().replace(/[:.]/g, '-'));
if (profiling) mkdirSync(profileDir, { recursive: true });
let bundles: Promise<Map<string, FunctionBundle>> | undefined;
const context: BenchContext = {
  runs: Number(process.env['BENCH_RUNS'] ?? 3),
  seconds: Number(process.env['BENCH_SECONDS'] ?? 5),
  bundles: () => (bundles ??= buildBundles(outDir)),
  progress: (message) => console.error(`  ${message}`),
  outDir,
  profileArgs: (label) => (profiling ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, label)}`] : []),
  reportProfiles: (label, cpuUsPerUnit) => {
    const dir = join(profileDir, label);
    if (!profiling || !existsSync(dir)) return;
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))) {
      console.error(`profile ${label} (${join(dir, file)}):\n${formatSummary(summariseProfile(join(dir, file), 20), cpuUsPerUnit)}`);
    }
  },
};

async function buildBundles(dir: string): Promise<Map<string, FunctionBundle>> {
  const bundles = await shippedBundles(join(dir, 'shipped'));
  bundles.set('bare-hono', await bundleFunction('bare-hono', fileURLToPath(new URL('./bare-hono.ts', import.meta.url)), join(dir, 'bare')));
  return bundles;
}

const load = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
const machine = `${cpus().length} CPUs, measured processes on Node ${measuredNode().version}, ${context.runs} runs per figure (median), ${context.seconds} s per load run`;
console.error(`bench: ${machine}; load average ${load()}`);
const results: FigureLine[] = [];
let failed = false;
const started = performance.now();
try {
  for (const figure of selected) {
    console.error(`bench: ${figure.name} ...`);
    try {
      results.push(...(await figure.run(context)));
    } catch (error) {
      failed = true;
      console.error(`bench: ${figure.name} FAILED: ${(error as Error).stack ?? error}`);
    }
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
console.log(
  `bench: ${machine}; ${Math.round((performance.now() - started) / 1000)} s; load average at the end ${load()} (other work on the machine moves every figure: compare ratios)`,
);
console.log(formatTable(results));
for (const result of results) console.log(formatLine(result));
process.exit(failed ? 1 : 0);
