import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { functionQueueName, type BrokerKind } from '@qfn/shared/platform';
import { loadFunctions } from '@qfn/tooling/functions';
import { helmBinaries, render, valueSetsDir, type Manifest } from './support/helm';

/**
 * The chart names queues in its `qfn.queueName` helper: the prefix (`broker.queuePrefix`) is an
 * install-time value, so `npm run generate` cannot write the names into values.yaml. This holds the
 * helper to the runtime's one naming rule (`functionQueueName`) for every function on both brokers,
 * with a prefix whose dots SQS cannot carry.
 */
const [binary] = helmBinaries();
const declared = (await loadFunctions()).map((pkg) => pkg.declaration.name);
const prefix = 'team.blue';

/** Queue name each ScaledObject's queue triggers watch, by function. */
function watchedQueues(manifests: Manifest[]): Map<string, string[]> {
  const watched = new Map<string, string[]>();
  for (const so of manifests.filter((m) => m.kind === 'ScaledObject')) {
    const fn = so.metadata.labels?.['qfn.dev/function'];
    if (!fn) continue;
    const names = (so.spec.triggers as { type: string; metadata: Record<string, string> }[]).flatMap((t) =>
      t.type === 'rabbitmq' ? [t.metadata['queueName']!] : t.type === 'aws-sqs-queue' ? [t.metadata['queueURL']!.split('/').pop()!] : [],
    );
    watched.set(fn, names);
  }
  return watched;
}

describe.skipIf(!binary)('queue names in the chart', () => {
  it.each(['rabbitmq', 'sqs'] as BrokerKind[])('on %s equal functionQueueName for every function', (broker) => {
    const manifests = render(binary!, { valueFiles: [join(valueSetsDir, `${broker}-values.yaml`)], set: { 'broker.queuePrefix': prefix } });
    const watched = watchedQueues(manifests);
    expect([...watched.keys()].sort()).toEqual([...declared].sort());
    for (const fn of declared) {
      const names = watched.get(fn)!;
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect(name).toBe(functionQueueName(broker, prefix, fn));
    }
  });
});
