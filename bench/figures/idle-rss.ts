import { loadFunctions } from '@qfn/tooling/functions';
import { createBenchEnvironment } from '../lib/environment';
import { line, type Figure, type FigureLine } from '../lib/figure';
import { startNode } from '../lib/process';
import { median, sleep } from '../lib/stats';

const mib = 1024 * 1024;
const settleMs = 3_000;

/** Resident memory of an idle consumer replica (connected, consuming an empty queue), beside an idle `node`. */
export const idleRss: Figure = {
  name: 'idle-rss',
  async run(context) {
    const functions = await loadFunctions();
    const bundles = await context.bundles();
    const compactBundles = await context.compactBundles();
    const environment = await createBenchEnvironment('rss');
    const lines: FigureLine[] = [];
    try {
      await environment.provision(...functions.map((fn) => fn.declaration));
      const idleNode = startNode(['-e', 'setInterval(() => {}, 1000)'], {});
      await sleep(settleMs);
      const baseline = idleNode.rssBytes() / mib;
      await idleNode.stop();
      for (const { declaration } of functions) {
        const idleRssOf = async (file: string) => {
          const replica = startNode([file], environment.env);
          await replica.waitForLog('consuming');
          await sleep(settleMs);
          const rss = replica.rssBytes() / mib;
          await replica.stop();
          return rss;
        };
        const samples: number[] = [];
        for (let run = 0; run < context.runs; run++) samples.push(await idleRssOf(bundles.get(declaration.name)!.file));
        const compact = await idleRssOf(compactBundles.get(declaration.name)!.file);
        const value = median(samples);
        context.progress(`idle-rss ${declaration.name}: ${samples.map((s) => s.toFixed(1)).join(', ')} MiB; idle node ${baseline.toFixed(1)} MiB`);
        lines.push(
          line({
            name: `idle-rss/${declaration.name}`,
            value,
            unit: 'MiB',
            baseline: { value: baseline, unit: 'MiB', what: 'idle node' },
            goal: { text: '≤ 60 MiB', met: value <= 60 },
            note: `VmRSS ${settleMs / 1000} s after "consuming", queue empty; minified + split build: ${compact.toFixed(1)} MiB`,
          }),
        );
      }
    } finally {
      await environment.cleanUp();
    }
    return lines;
  },
};
