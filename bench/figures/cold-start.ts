import { loadFunctions } from '@qfn/tooling/functions';
import { createBenchEnvironment } from '../lib/environment';
import { line, type Figure, type FigureLine } from '../lib/figure';
import { startNode } from '../lib/process';
import { median } from '../lib/stats';

/** Process exec → the "consuming" log line, for each consumer function's bundle, beside `node -e 0`. */
export const coldStart: Figure = {
  name: 'cold-start',
  async run(context) {
    const functions = await loadFunctions();
    const bundles = await context.bundles();
    const compactBundles = await context.compactBundles();
    const environment = await createBenchEnvironment('cold');
    const lines: FigureLine[] = [];
    try {
      await environment.provision(...functions.map((fn) => fn.declaration));
      for (const { declaration } of functions) {
        const bundle = bundles.get(declaration.name)!;
        const compact = compactBundles.get(declaration.name)!;
        const empty: number[] = [];
        const measured: number[] = [];
        const reported: number[] = [];
        const compactMeasured: number[] = [];
        const toConsuming = async (file: string) => {
          const replica = startNode([...context.profileArgs('cold-start'), file], { ...environment.env, LOG_LEVEL: 'info' });
          const { line: consuming, at } = await replica.waitForLog('consuming');
          await replica.stop();
          return { ms: at - replica.startedAt, reported: Number(consuming['coldStartMs']) };
        };
        // Interleaved, so a burst of load on the machine hits both alike; the first round warms the page cache.
        for (let round = 0; round <= context.runs; round++) {
          const node = startNode(['-e', '0'], {});
          await node.exited;
          const nodeMs = performance.now() - node.startedAt;
          const shipped = await toConsuming(bundle.file);
          const minifiedSplit = await toConsuming(compact.file);
          if (round === 0) continue;
          empty.push(nodeMs);
          measured.push(shipped.ms);
          reported.push(shipped.reported);
          compactMeasured.push(minifiedSplit.ms);
        }
        const value = median(measured);
        const baseline = median(empty);
        context.progress(
          `cold-start ${declaration.name}: exec→consuming ${measured.map(Math.round).join(', ')} ms; node -e 0 ${empty.map(Math.round).join(', ')} ms`,
        );
        lines.push(
          line({
            name: `cold-start/${declaration.name}`,
            value,
            unit: 'ms',
            baseline: { value: baseline, unit: 'ms', what: 'node -e 0' },
            goal: { text: 'ratio ≤ 1.5', met: value / baseline <= 1.5 },
            note: `process-reported coldStartMs ${Math.round(median(reported))} ms; minified + split build: ${Math.round(median(compactMeasured))} ms`,
          }),
        );
      }
    } finally {
      await environment.cleanUp();
    }
    context.reportProfiles('cold-start');
    return lines;
  },
};
