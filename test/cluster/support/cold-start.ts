import type { LocalCluster } from './cluster';
import { deployment, isReady, pods, publishUrl, type Release } from './release';
import { waitUntil, watchScaling } from './scaling';
import { messageTimes, publishMessages, type Database } from './traffic';

/** Milliseconds from the message's acceptance by the publish function (its accepted_at). */
export interface ColdStart {
  scaledMs: number;
  podReadyMs: number;
  storedMs: number;
}

/** One message published at 0 replicas: when KEDA scaled store-message to 1, when the pod was Ready, when the message was stored. */
export async function coldStartSample(
  cluster: LocalCluster,
  release: Release,
  db: Database,
  label: string = release.broker,
): Promise<ColdStart & { acceptedAt: number }> {
  const ns = release.namespace;
  await waitUntil('store-message at 0', async () => (await deployment(cluster, ns, 'store-message'))?.spec?.['replicas'] === 0, 180_000);
  // ... and no pod left at all: right after the install, the pod Kubernetes started before KEDA's first 1 → 0 is still
  // terminating, and a message published then was seen stored by it (both brokers) with no replica ever scaled up.
  await waitUntil('no store-message pod left', async () => (await pods(cluster, ns, 'store-message')).length === 0, 120_000);
  // Land anywhere in KEDA's polling cycle, as a real first message does.
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 5000));
  const url = await publishUrl(cluster, ns);
  const watch = watchScaling(cluster, ns, 'store-message', 100);
  try {
    const { ids } = await publishMessages(url, release.publishToken, 1, 1, 'cold-start');
    const times = await waitUntil('the message stored', () => messageTimes(db, ns, ids[0]!), 120_000, 100);
    // The pod that stored it: its Ready condition (1 s resolution) if the 100 ms samples missed it.
    const pod = await waitUntil('a Ready store-message pod', async () => (await pods(cluster, ns, 'store-message')).find(isReady), 30_000, 100).catch(
      (error: unknown) => {
        throw new Error(`${String(error)}\n${watch.report(times.acceptedAt)}`);
      },
    );
    const readyCondition = pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime;
    const readyAt = watch.firstTime((s) => s.ready > 0) ?? new Date(readyCondition ?? Date.now()).getTime();
    const scaledAt = watch.firstTime((s) => s.desired > 0) ?? new Date(pod.metadata.creationTimestamp ?? Date.now()).getTime();
    const sample = { scaledMs: scaledAt - times.acceptedAt, podReadyMs: readyAt - times.acceptedAt, storedMs: times.storedAt - times.acceptedAt };
    console.log(`[${label}] cold start ${JSON.stringify(sample)}\n${watch.report(times.acceptedAt)}`);
    return { ...sample, acceptedAt: times.acceptedAt };
  } finally {
    await watch.stop();
  }
}

/** The middle of three samples of one figure. */
export function median(samples: readonly ColdStart[], key: keyof ColdStart): number {
  return [...samples.map((x) => x[key])].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}
