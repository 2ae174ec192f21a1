import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildImage, docker, dockerCli, engineStatus, imageBytes, imageLayers, removeImages } from '../../scripts/images/docker';
import { imageTargets } from '@qfn/tooling/images';
import { loadFunctions } from '@qfn/tooling/functions';
import { repoRoot } from '@qfn/tooling/paths';
import { copyBuildContext } from '@qfn/tooling/build-context';
import { createBenchEnvironment } from '../lib/environment';
import { line, type Figure, type FigureLine } from '../lib/figure';
import { startNode } from '../lib/process';
import { median, sleep } from '../lib/stats';

const MB = 1e6;
const MiB = 1024 * 1024;
const baseImage = 'gcr.io/distroless/nodejs24-debian12:nonroot';
// What the chart gives a function's container (test/images checks the chart renders exactly this).
const chartLike = [
  '--network',
  'host',
  '--read-only',
  '--tmpfs',
  '/tmp:rw,nosuid,nodev,mode=1777,size=67108864',
  '--user',
  '65532:65532',
  '--cap-drop',
  'ALL',
  '--security-opt',
  'no-new-privileges',
  '--memory',
  String(256 * MiB),
];
const inImageScript = readFileSync(new URL('../lib/in-image-cold-start.mjs', import.meta.url), 'utf8');

const envFlags = (env: Record<string, string>) => Object.entries(env).flatMap(([name, value]) => ['-e', `${name}=${value}`]);

/** `docker stats` memory of a running container, in bytes ("34.5MiB / 256MiB"). */
async function containerMemoryBytes(name: string): Promise<number> {
  const result = await docker(['stats', '--no-stream', '--format', '{{.MemUsage}}', name]);
  const match = /^([\d.]+)([KMG]i?B)/.exec(result.stdout.trim());
  if (!match) throw new Error(`docker stats ${name}: ${result.stdout}${result.stderr}`);
  const units: Record<string, number> = { KiB: 1024, MiB, GiB: 1024 * MiB, kB: 1e3, MB: 1e6, GB: 1e9 };
  return Number(match[1]) * units[match[2]!]!;
}

/**
 * The images as built from docker/*Dockerfile: their size and the project's own layers, build time (cold and warm),
 * `docker run` → consuming and idle memory of a container run as the chart runs it, and Node 24's cold start inside
 * the image with and without the compile cache the image ships, beside `node -e 0` in the same container.
 * Skipped, saying why, where no Docker Engine runs.
 */
export const containers: Figure = {
  name: 'containers',
  async run(context) {
    const engine = engineStatus();
    if (!engine.ok) {
      context.progress(`containers: skipped: no Docker Engine (${engine.reason})`);
      return [];
    }
    const standins = spawnSync('bash', [join(repoRoot, 'scripts', 'images', 'standins.sh')], { encoding: 'utf8' });
    if (standins.status !== 0) throw new Error(`scripts/images/standins.sh failed: ${standins.stdout}${standins.stderr}`);

    const run = randomBytes(3).toString('hex');
    const tag = (target: string) => `qfn-bench-${run}/${target}:bench`;
    const targets = (await imageTargets()).filter((target) => target.kind !== 'migrate');
    const functions = await loadFunctions();
    const lines: FigureLine[] = [];
    const environment = await createBenchEnvironment('ctr');
    // A copy of the tree: edits made meanwhile in the checkout would turn the warm rebuild into a partial one.
    const buildContext = copyBuildContext();
    try {
      // Build time: every step run (--no-cache; npm's download cache mount stays), then again with nothing changed.
      const first = targets[0]!.name;
      const cold = await buildImage({
        dockerfile: 'docker/Dockerfile',
        context: buildContext.dir,
        tag: tag('cold'),
        buildArgs: { FUNCTION: first },
        noCache: true,
      });
      await removeImages(tag('cold'));
      const warm = await buildImage({ dockerfile: 'docker/Dockerfile', context: buildContext.dir, tag: tag(first), buildArgs: { FUNCTION: first } });
      const warmAgain = await buildImage({ dockerfile: 'docker/Dockerfile', context: buildContext.dir, tag: tag(first), buildArgs: { FUNCTION: first } });
      lines.push(
        line({
          name: `image-build/${first}`,
          value: warmAgain.ms / 1000,
          unit: 's',
          baseline: { value: cold.ms / 1000, unit: 's', what: 'docker build --no-cache' },
          note: `warm: nothing changed, every step from the cache (after the cold build: ${(warm.ms / 1000).toFixed(1)} s); cold: every step runs, npm downloads from its cache mount`,
        }),
      );
      for (const target of targets.slice(1)) {
        await buildImage({ dockerfile: target.dockerfile, context: buildContext.dir, tag: tag(target.name), buildArgs: { FUNCTION: target.name } });
      }

      const baseBytes = await imageBytes(baseImage);
      for (const target of targets) {
        const bytes = await imageBytes(tag(target.name));
        const layers = await imageLayers(tag(target.name));
        const code = layers.find((layer) => /^COPY \/src\/dist\//.test(layer.createdBy))?.bytes ?? Number.NaN;
        const compileCache = layers.find((layer) => layer.createdBy.includes('warm-compile-cache'))?.bytes ?? Number.NaN;
        const own = bytes - baseBytes;
        lines.push(
          line({
            name: `image/${target.name}`,
            value: bytes / MB,
            unit: 'MB',
            baseline: { value: baseBytes / MB, unit: 'MB', what: 'distroless nodejs24 base' },
            note: `the project's layers: ${(own / MB).toFixed(2)} MB`,
          }),
          line({
            name: `image-layer/${target.name}`,
            value: own / MB,
            unit: 'MB',
            baseline: { value: code / MB, unit: 'MB', what: 'the bundle layer alone' },
            note: `bundle ${(code / MB).toFixed(2)} MB + compile cache ${(compileCache / MB).toFixed(2)} MB`,
          }),
        );
      }

      await environment.provision(...functions.map((fn) => fn.declaration));
      const env = { ...environment.env, HEALTH_PORT: '0' };
      let containerCount = 0;
      const runContainer = (image: string, args: string[], runEnv: Record<string, string>) => {
        const name = `qfn-bench-${run}-${++containerCount}`;
        return { name, replica: startNode(['run', '--rm', '--name', name, ...chartLike, ...envFlags(runEnv), image, ...args], {}, { program: dockerCli() }) };
      };
      const stopContainer = async (name: string, replica: ReturnType<typeof startNode>) => {
        await docker(['stop', '-t', '30', name]);
        await replica.exited;
      };

      for (const { declaration } of functions) {
        const image = tag(declaration.name);
        // docker run → "consuming", beside docker run → `node -e 0` exits, interleaved; round 0 warms and is dropped.
        const starts: number[] = [];
        const empties: number[] = [];
        for (let round = 0; round <= context.runs; round++) {
          const empty = runContainer(image, ['-e', '0'], {});
          await empty.replica.exited;
          const emptyMs = performance.now() - empty.replica.startedAt;
          const started = runContainer(image, [], env);
          const { at } = await started.replica.waitForLog('consuming', 60_000);
          await stopContainer(started.name, started.replica);
          if (round === 0) continue;
          empties.push(emptyMs);
          starts.push(at - started.replica.startedAt);
        }
        context.progress(
          `containers ${declaration.name}: docker run→consuming ${starts.map(Math.round).join(', ')} ms; docker run node -e 0 ${empties.map(Math.round).join(', ')} ms`,
        );
        lines.push(
          line({
            name: `container-start/${declaration.name}`,
            value: median(starts),
            unit: 'ms',
            baseline: { value: median(empties), unit: 'ms', what: 'docker run … node -e 0' },
            note: 'docker run (read-only, uid 65532, caps dropped, 256 MiB, host network) → the "consuming" log line',
          }),
        );

        // Idle memory as `docker stats` reports it, beside an idle node in the same image and limits.
        const idle = runContainer(image, [], env);
        await idle.replica.waitForLog('consuming', 60_000);
        const idleNode = runContainer(image, ['-e', 'setInterval(() => {}, 1000)'], {});
        await sleep(3_000);
        const [functionBytes, nodeBytes] = await Promise.all([containerMemoryBytes(idle.name), containerMemoryBytes(idleNode.name)]);
        await Promise.all([stopContainer(idle.name, idle.replica), stopContainer(idleNode.name, idleNode.replica)]);
        lines.push(
          line({
            name: `container-idle-rss/${declaration.name}`,
            value: functionBytes / MiB,
            unit: 'MiB',
            baseline: { value: nodeBytes / MiB, unit: 'MiB', what: 'idle node, same image' },
            goal: { text: '≤ 60 MiB', met: functionBytes / MiB <= 60 },
            note: 'docker stats, 3 s after "consuming", queue empty',
          }),
        );

        // Node 24 inside the image: exec → consuming with the image's compile cache and without, beside node -e 0.
        const inImage = await docker(
          [
            'run',
            '--rm',
            ...chartLike,
            ...envFlags({ ...env, COLD_START_ROUNDS: String(context.runs) }),
            '--entrypoint',
            '/nodejs/bin/node',
            image,
            '--input-type=module',
            '-e',
            inImageScript,
          ],
          { timeoutMs: 300_000 },
        );
        if (inImage.status !== 0) throw new Error(`in-image cold start (${inImage.status}): ${inImage.stderr.slice(-2000)}`);
        const measured = JSON.parse(inImage.stdout.trim().split('\n').pop()!) as { node: number[]; cached: number[]; uncached: number[] };
        const [node, cached, uncached] = [median(measured.node), median(measured.cached), median(measured.uncached)];
        context.progress(
          `containers ${declaration.name} in the image: cached ${measured.cached.map(Math.round).join(', ')} ms; uncached ${measured.uncached.map(Math.round).join(', ')} ms; node -e 0 ${measured.node.map(Math.round).join(', ')} ms`,
        );
        lines.push(
          line({
            name: `image-cold-start/${declaration.name}`,
            value: cached,
            unit: 'ms',
            baseline: { value: node, unit: 'ms', what: 'node -e 0, same container' },
            goal: { text: 'ratio ≤ 1.5', met: cached / node <= 1.5 },
            note: `Node 24 exec → consuming with the image's compile cache; without it ${Math.round(uncached)} ms (ratio ${(uncached / node).toFixed(2)})`,
          }),
        );
      }
    } finally {
      await removeImages(...[...targets.map((target) => target.name), 'cold'].map(tag));
      buildContext.remove();
      await environment.cleanUp();
    }
    return lines;
  },
};
