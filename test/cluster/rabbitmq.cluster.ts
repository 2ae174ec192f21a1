import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helm, kubectl, localCluster, type KubeObject, type LocalCluster } from './support/cluster';
import { deployment, isReady, pods, publishUrl, type Release } from './support/release';
import { waitUntil, watchScaling } from './support/scaling';
import { publishMessages, storedCounts } from './support/traffic';
import { retagStoreMessage, userPath } from './user-path';

const managementApi = 'http://127.0.0.1:15672/api';
const vhost = 'qfn-cluster';
const guest = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` };

async function queue(release: Release, fn: string): Promise<{ messages: number } | undefined> {
  const response = await fetch(`${managementApi}/queues/${vhost}/${encodeURIComponent(`${release.namespace}.${fn}`)}`, { headers: guest });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`management API ${response.status}`);
  return (await response.json()) as { messages: number };
}

/** The host pid of a pod's container (containerd's shim records it), for a node-level signal. */
async function containerPid(pod: KubeObject): Promise<number> {
  const statuses = (pod.status?.['containerStatuses'] ?? []) as { containerID?: string }[];
  const id = statuses[0]?.containerID?.replace(/^containerd:\/\//, '');
  if (!id) throw new Error(`pod ${pod.metadata.name} has no container yet`);
  return Number((await readFile(`/run/qfn-cluster/containerd/state/io.containerd.runtime.v2.task/k8s.io/${id}/init.pid`, 'utf8')).trim());
}

let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await localCluster();
});
afterAll(() => cluster?.agent.destroy());

describe.sequential('the user path on a real cluster with real KEDA: RabbitMQ', () => {
  userPath({
    broker: 'rabbitmq',
    cluster: () => cluster,
    queueDepth: async (release, fn) => (await queue(release, fn))?.messages ?? Number.NaN,
    queueExists: async (release, fn) => (await queue(release, fn)) !== undefined,
    extra: ({ release, db }) => {
      it('a replica deleted mid-stream (kubectl delete pod) and a node-level SIGTERM to another: nothing lost, nothing twice', async () => {
        const ns = release().namespace;
        const url = await publishUrl(cluster, ns);
        const watch = watchScaling(cluster, ns, 'store-message', 250);
        try {
          const publishing = publishMessages(url, release().publishToken, 2000, 8, 'faults');
          const first = await waitUntil('a Ready store-message replica', async () => (await pods(cluster, ns, 'store-message')).find(isReady), 120_000, 100);
          await kubectl(cluster, ['-n', ns, 'delete', 'pod', first.metadata.name, '--wait=false']);
          const second = await waitUntil(
            'another Ready replica',
            async () => (await pods(cluster, ns, 'store-message')).find((p) => isReady(p) && p.metadata.uid !== first.metadata.uid),
            120_000,
            100,
          );
          process.kill(await containerPid(second), 'SIGTERM');
          const published = await publishing;
          const stored = await waitUntil(
            'every message stored',
            async () => {
              const counts = await storedCounts(db(), ns, published.ids);
              return counts.rows === published.ids.length ? counts : undefined;
            },
            300_000,
            500,
          );
          expect(stored).toEqual({ rows: 2000, distinctRows: 2000, inboxRows: 2000 });
          console.log(`[rabbitmq] faults: deleted ${first.metadata.name}, SIGTERM to ${second.metadata.name}\n${watch.report(published.startedAt)}`);
        } finally {
          await watch.stop();
        }
        await waitUntil('store-message back at 0', async () => (await deployment(cluster, ns, 'store-message'))?.spec?.['replicas'] === 0, 300_000);
      });

      it('per-function upgrade (--reset-then-reuse-values, a new store-message tag) rolls only store-message', async () => {
        const ns = release().namespace;
        const before = await pods(cluster, ns);
        const others = before.filter((p) => p.metadata.labels?.['app.kubernetes.io/component'] !== 'store-message');
        const generations = Object.fromEntries(
          await Promise.all(['publish', 'run-job', 'store-message'].map(async (fn) => [fn, (await deployment(cluster, ns, fn))?.metadata.generation] as const)),
        );
        const newTag = 'rabbitmq-next';
        await retagStoreMessage(newTag);
        // The README's per-function deploy: helm upgrade qfn helm --reset-then-reuse-values --set-string functions.<f>.image.tag=<tag> --wait
        await helm(cluster, [
          'upgrade',
          'qfn',
          'helm',
          '-n',
          ns,
          '--reset-then-reuse-values',
          '--set-string',
          `functions.store-message.image.tag=${newTag}`,
          '--wait',
          '--timeout',
          '10m',
        ]);
        const storeMessage = await deployment(cluster, ns, 'store-message');
        const containers = (storeMessage?.spec?.['template'] as { spec: { containers: { image: string }[] } }).spec.containers;
        expect(containers[0]?.image).toBe(`qfn.local/qfn-store-message:${newTag}`);
        expect(storeMessage?.metadata.generation).toBe((generations['store-message'] ?? 0) + 1);
        for (const fn of ['publish', 'run-job']) expect((await deployment(cluster, ns, fn))?.metadata.generation, fn).toBe(generations[fn]);
        const after = await pods(cluster, ns);
        const afterUids = new Set(after.map((p) => p.metadata.uid));
        for (const pod of others) expect(afterUids.has(pod.metadata.uid), pod.metadata.name).toBe(true);
        // A message through the new store-message pods (scaled from zero again).
        const { ids } = await publishMessages(await publishUrl(cluster, ns), release().publishToken, 10, 2, 'after-upgrade');
        await waitUntil('stored by the new version', async () => (await storedCounts(db(), ns, ids)).rows === 10, 120_000, 500);
        const replaced = (await pods(cluster, ns, 'store-message')).filter((p) =>
          ((p.spec?.['containers'] as { image: string }[])[0]?.image ?? '').endsWith(newTag),
        );
        console.log(`[rabbitmq] upgrade: ${others.length} other pods kept their UIDs; store-message pods on ${newTag}: ${replaced.length}`);
      });
    },
  });
});
