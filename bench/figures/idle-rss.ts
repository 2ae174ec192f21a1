import { measureEachConsumer } from '../lib/consumers';
import { line, type Figure } from '../lib/figure';
import { startNode } from '../lib/process';
import { median, sleep } from '../lib/stats';

const mib = 1024 * 1024;
const settleMs = 3_000;

/** Resident memory of an idle consumer replica (connected, consuming an empty queue), beside an idle `node`. */
export const idleRss: Figure = {
  name: 'idle-rss',
  async run(context) {
    const idleNode = startNode(['-e', 'setInterval(() => {}, 1000)'], {});
    await sleep(settleMs);
    const baseline = idleNode.rssBytes() / mib;
    await idleNode.stop();
    return measureEachConsumer(context, 'rss', async ({ name, bundle, env }) => {
      const idleRssOf = async (file: string) => {
        const replica = startNode([file], env);
        await replica.waitForLog('consuming');
        await sleep(settleMs);
        const rss = replica.rssBytes() / mib;
        await replica.stop();
        return rss;
      };
      const samples: number[] = [];
      for (let run = 0; run < context.runs; run++) samples.push(await idleRssOf(bundle.file));
      const value = median(samples);
      context.progress(`idle-rss ${name}: ${samples.map((s) => s.toFixed(1)).join(', ')} MiB; idle node ${baseline.toFixed(1)} MiB`);
      return line({
        name: `idle-rss/${name}`,
        value,
        unit: 'MiB',
        baseline: { value: baseline, unit: 'MiB', what: 'idle node' },
        goal: { text: '≤ 60 MiB', met: value <= 60 },
        note: `VmRSS ${settleMs / 1000} s after "consuming", queue empty`,
      });
    });
  },
};
