import { imageTargets } from '@qfn/tooling/images';
import { line, type Figure } from '../lib/figure';

const kB = 1000;

/**
 * Bytes of each function's bundle as the images ship it (`npm run build`), beside a bare Hono app bundled
 * the same way; the note gives what a replica reads at start (the entry and the chunks it imports
 * statically: RabbitMQ, telemetry off).
 */
export const bundle: Figure = {
  name: 'bundle',
  async run(context) {
    const shipped = await context.bundles();
    const bare = shipped.get('bare-hono')!;
    const targets = (await imageTargets()).filter((target) => target.kind !== 'migrate');
    return targets.map((target) => {
      const built = shipped.get(target.name)!;
      return line({
        name: `bundle/${target.name}`,
        value: built.totalBytes / kB,
        unit: 'kB',
        baseline: { value: bare.totalBytes / kB, unit: 'kB', what: 'bare Hono, same build' },
        goal: { text: '≤ 1000 kB', met: built.totalBytes <= 1000 * kB },
        note: `${Math.round(built.startupBytes / kB)} kB read at start`,
      });
    });
  },
};
