import { measureEachConsumer } from '../lib/consumers';
import { line, type Figure } from '../lib/figure';
import { startNode } from '../lib/process';
import { median } from '../lib/stats';

/** Process exec → the "consuming" log line, for each consumer function's bundle, beside `node -e 0`. */
export const coldStart: Figure = {
  name: 'cold-start',
  async run(context) {
    const lines = await measureEachConsumer(context, 'cold', async ({ name, bundle, env }) => {
      const empty: number[] = [];
      const measured: number[] = [];
      const reported: number[] = [];
      const toConsuming = async (file: string) => {
        const replica = startNode([...context.profileArgs('cold-start'), file], { ...env, LOG_LEVEL: 'info' });
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
        if (round === 0) continue;
        empty.push(nodeMs);
        measured.push(shipped.ms);
        reported.push(shipped.reported);
      }
      const value = median(measured);
      const baseline = median(empty);
      context.progress(`cold-start ${name}: exec→consuming ${measured.map(Math.round).join(', ')} ms; node -e 0 ${empty.map(Math.round).join(', ')} ms`);
      return line({
        name: `cold-start/${name}`,
        value,
        unit: 'ms',
        baseline: { value: baseline, unit: 'ms', what: 'node -e 0' },
        goal: { text: 'ratio ≤ 1.5', met: value / baseline <= 1.5 },
        note: `process-reported coldStartMs ${Math.round(median(reported))} ms`,
      });
    });
    context.reportProfiles('cold-start');
    return lines;
  },
};
