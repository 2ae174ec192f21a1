/**
 * What issue 16 added to scaling and issue 18's console, on the real cluster with real KEDA (one RabbitMQ release,
 * console.enabled, run-job off):
 * - the console served by the publish pod reads replicas and the ScaledObject through the kubernetes Service (10.96.0.1);
 * - scale from zero with design (a), the AMQP activation trigger, beside design (b), the publish function's
 *   external-push scaler (scaling.pushActivation) as the only trigger that can activate, 3 samples each at the
 *   declared pollingInterval;
 * - pod-deletion-cost: on a scale-in from 2 to 1 the busy replica (the younger one, which the ReplicaSet would
 *   otherwise delete first) survives and the idle one goes.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleSnapshot } from '../../console/server/model';
import { coldStartSample, median, type ColdStart } from './support/cold-start';
import { getResource, helm, localCluster, type KubeObject, type LocalCluster } from './support/cluster';
import { deleteNamespace, deployment, installRelease, isReady, pods, publishUrl, releaseNamespace, scaledObject, type Release } from './support/release';
import { waitUntil, watchScaling } from './support/scaling';
import { adminDatabaseUrl, messageTimes, openDatabase, publishMessages, storedCounts, type Database } from './support/traffic';

const deletionCostAnnotation = 'controller.kubernetes.io/pod-deletion-cost';

let cluster: LocalCluster;
let release: Release;
let db: Database;
const namespace = releaseNamespace('rabbitmq');
const figures: { design: 'a' | 'b'; samples: ColdStart[] }[] = [];

/** The console's JSON snapshot, as the page reads it (behind the admin token). */
async function consoleSnapshot(): Promise<ConsoleSnapshot> {
  const response = await fetch(`${await publishUrl(cluster, namespace)}/console/api/snapshot`, { headers: { authorization: `Bearer ${release.adminToken}` } });
  if (response.status !== 200) throw new Error(`console snapshot answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as ConsoleSnapshot;
}

/** The console's live stream held open: its sources read only while someone watches. */
async function watchConsole(): Promise<{ close(): void }> {
  const controller = new AbortController();
  const response = await fetch(`${await publishUrl(cluster, namespace)}/console/api/stream`, {
    headers: { authorization: `Bearer ${release.adminToken}` },
    signal: controller.signal,
  });
  if (response.status !== 200) throw new Error(`console stream answered ${response.status}`);
  const reader = response.body!.getReader();
  void (async () => {
    for (;;) if ((await reader.read()).done) return;
  })().catch(() => {});
  return { close: () => controller.abort() };
}

/** The newest store-message point of the console, once `predicate` holds for it. */
async function consolePoint(what: string, predicate: (point: ConsoleSnapshot['series'][string][number]) => boolean) {
  let last: unknown;
  return waitUntil(
    `the console showing ${what}`,
    async () => {
      const snapshot = await consoleSnapshot();
      const point = snapshot.series['store-message']?.at(-1);
      last = { point, warnings: snapshot.warnings };
      return point && predicate(point) ? { point, snapshot } : undefined;
    },
    60_000,
    1_000,
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\nlast: ${JSON.stringify(last)}`);
  });
}

async function upgrade(...sets: string[]): Promise<void> {
  await helm(cluster, ['upgrade', 'qfn', 'helm', '-n', namespace, '--reuse-values', ...sets.flatMap((s) => ['--set', s]), '--wait', '--timeout', '5m']);
}

beforeAll(async () => {
  cluster = await localCluster();
  db = openDatabase();
  const [setting] = await db<{ max_connections: string }[]>`show max_connections`;
  release = await installRelease(cluster, namespace, 'rabbitmq', Number(setting?.max_connections), [
    '--set',
    'console.enabled=true',
    '--set',
    'functions.run-job.enabled=false',
  ]);
  await waitUntil('the publish Service', async () => (await fetch(`${await publishUrl(cluster, namespace)}/healthz`).catch(() => undefined))?.ok, 60_000, 500);
}, 600_000);

afterAll(async () => {
  console.log(`[scaling designs] figures ${JSON.stringify(figures)}`);
  if (cluster) await deleteNamespace(cluster, namespace).catch(() => {});
  if (db) {
    await db.unsafe(`drop schema if exists "${namespace}" cascade`).catch(() => {});
    await db.end();
  }
  cluster?.agent.destroy();
});

describe.sequential('scaling on a real cluster with real KEDA: the console, push activation, pod-deletion-cost', () => {
  it('the console in the publish pod reads the Kubernetes API (kubernetes Service → API server): store-message’s ScaledObject and replicas', async () => {
    expect((await fetch(`${await publishUrl(cluster, namespace)}/console/api/snapshot`)).status).toBe(401);
    const stream = await watchConsole();
    try {
      const { point, snapshot } = await consolePoint('store-message at 0 replicas', (p) => p.desired === 0 && p.readyReplicas === 0);
      expect(snapshot.installation.mode).toBe('kubernetes');
      // Read from the ScaledObject: null when the pod cannot reach the API server.
      expect(snapshot.functions.find((fn) => fn.name === 'store-message')).toMatchObject({ maxReplicaCount: 4, targetQueueLength: 100, cooldownPeriod: 15 });
      expect(snapshot.warnings.filter((w) => /kubernetes|replicas/i.test(w))).toEqual([]);
      console.log(`[console] store-message point ${JSON.stringify(point)}; functions ${JSON.stringify(snapshot.functions)}`);
    } finally {
      stream.close();
    }
  });

  it('scale from zero: (a) the AMQP activation trigger beside (b) the push scaler alone, 3 samples each at pollingInterval 5 s', async () => {
    const pollingInterval = Number((await scaledObject(cluster, namespace, 'store-message'))?.spec?.['pollingInterval']);
    expect(pollingInterval).toBe(5);
    const results: Record<'a' | 'b', ColdStart[]> = { a: [], b: [] };
    for (const design of ['a', 'b'] as const) {
      if (design === 'b') {
        // The queue triggers' activation raised out of reach of one message: only the push trigger can wake the
        // function now, so every (b) sample below is a push activation, never a poll that happened to come first.
        await upgrade('functions.store-message.scaling.pushActivation=true', 'functions.store-message.scaling.activationQueueLength=1000');
        const so = await waitUntil(
          'the ScaledObject Ready with its push trigger',
          async () => {
            const object = await scaledObject(cluster, namespace, 'store-message');
            const triggers = (object?.spec?.['triggers'] ?? []) as { type: string }[];
            const ready = object?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
            return ready && triggers.some((t) => t.type === 'external-push') ? object : undefined;
          },
          60_000,
        );
        const triggers = (so.spec?.['triggers'] ?? []) as { type: string; metadata: Record<string, string> }[];
        expect(triggers.map((t) => t.type)).toEqual(['rabbitmq', 'rabbitmq', 'external-push']);
        expect(triggers.filter((t) => t.type === 'rabbitmq').map((t) => t.metadata['activationValue'])).toEqual(['1000', '1000']);
      }
      for (let run = 0; run < 3; run++) {
        const sample = await coldStartSample(cluster, release, db, `design ${design}`);
        results[design].push({ scaledMs: sample.scaledMs, podReadyMs: sample.podReadyMs, storedMs: sample.storedMs });
      }
    }
    const line = (design: 'a' | 'b') =>
      `published → replicas 1 ${median(results[design], 'scaledMs')} ms → pod Ready ${median(results[design], 'podReadyMs')} ms → stored ${median(results[design], 'storedMs')} ms` +
      ` (replicas 1: ${results[design].map((s) => s.scaledMs).join(', ')} ms; stored: ${results[design].map((s) => s.storedMs).join(', ')} ms)`;
    console.log(
      `[scale from zero, RabbitMQ, pollingInterval 5 s, median of 3]\n  (a) AMQP activation trigger: ${line('a')}\n  (b) push scaler:             ${line('b')}`,
    );
    figures.push({ design: 'a', samples: results.a }, { design: 'b', samples: results.b });
    for (const sample of [...results.a, ...results.b]) expect(sample.storedMs).toBeGreaterThan(0);
  });

  it('pod-deletion-cost: scale-in from 2 to 1 with one replica busy (the younger) and one idle removes the idle one', async () => {
    // One message per replica: 2 messages in the queue (ready + unacknowledged) ask for 2 replicas.
    await upgrade('functions.store-message.scaling.targetQueueLength=1', 'functions.store-message.scaling.activationQueueLength=0');
    await waitUntil(
      'store-message at 0, no pod left',
      async () =>
        (await deployment(cluster, namespace, 'store-message'))?.spec?.['replicas'] === 0 && (await pods(cluster, namespace, 'store-message')).length === 0,
      180_000,
    );
    const url = await publishUrl(cluster, namespace);
    const locks = postgres(adminDatabaseUrl, { max: 3, onnotice: () => {} });
    // inboxLock holds the inbox (every delivery's first insert waits); rowLock holds message 2's row in messages.
    const inboxLock = await locks.reserve();
    const rowLock = await locks.reserve();
    const waitingFrom = async (ip: string) =>
      Number((await locks<{ n: string }[]>`select count(*) as n from pg_stat_activity where client_addr = ${ip}::inet and wait_event_type = 'Lock'`)[0]?.n) > 0;
    const watch = watchScaling(cluster, namespace, 'store-message', 250);
    const stream = await watchConsole();
    const started = Date.now();
    try {
      await inboxLock`begin`;
      await inboxLock.unsafe(`lock table "${namespace}".inbox in share mode`);
      const first = await publishMessages(url, release.publishToken, 1, 1, 'deletion-cost-idle');
      const older = await waitUntil(
        'replica A Ready and holding message 1',
        async () => {
          const pod = (await pods(cluster, namespace, 'store-message')).find(isReady);
          return pod && (await waitingFrom(String(pod.status?.['podIP']))) ? pod : undefined;
        },
        120_000,
        250,
      );
      const second = await publishMessages(url, release.publishToken, 1, 1, 'deletion-cost-busy');
      await rowLock`begin`;
      await rowLock.unsafe(
        `insert into "${namespace}".messages (id, type, ts, sender, message_attributes, sent_from_ip, priority, accepted_at) values ($1, 'test.row-lock', '', 'test', '{}', '', 0, now())`,
        [second.ids[0]!],
      );
      // A holds message 1 (prefetch = concurrency 1), so message 2 waits for the HPA's second replica.
      const younger = await waitUntil(
        'replica B Ready and holding message 2',
        async () => {
          const pod = (await pods(cluster, namespace, 'store-message')).find((p) => isReady(p) && p.metadata.uid !== older.metadata.uid);
          return pod && (await waitingFrom(String(pod.status?.['podIP']))) ? pod : undefined;
        },
        180_000,
        250,
      );
      const cost = async (pod: KubeObject) =>
        (
          await getResource<KubeObject & { metadata: { annotations?: Record<string, string> } }>(
            cluster,
            `/api/v1/namespaces/${namespace}/pods/${pod.metadata.name}`,
          )
        )?.metadata.annotations?.[deletionCostAnnotation];
      await waitUntil('both replicas at pod-deletion-cost 1', async () => (await cost(older)) === '1' && (await cost(younger)) === '1', 60_000, 500);
      const { point } = await consolePoint('2 replicas desired and ready', (p) => p.desired === 2 && p.readyReplicas === 2);
      console.log(`[console] store-message with 2 replicas: ${JSON.stringify(point)}`);

      // A finishes message 1 and is idle; B stays on message 2 (its insert waits for rowLock's row).
      await inboxLock`commit`;
      await waitUntil('message 1 stored', () => messageTimes(db, namespace, first.ids[0]!), 30_000, 250);
      await waitUntil('A back at pod-deletion-cost 0', async () => (await cost(older)) === '0', 60_000, 500);
      expect(await waitingFrom(String(younger.status?.['podIP']))).toBe(true);

      // One message left (unacknowledged) asks for 1 replica: the HPA scales in after its stabilisation window.
      await waitUntil(
        'the HPA scaling store-message to 1',
        async () => (await deployment(cluster, namespace, 'store-message'))?.spec?.['replicas'] === 1,
        180_000,
        500,
      );
      const after = await waitUntil(
        'one replica left',
        async () => {
          const list = await pods(cluster, namespace, 'store-message');
          const leaving = list.filter((p) => p.metadata.deletionTimestamp);
          return leaving.length > 0 || list.length === 1 ? list : undefined;
        },
        60_000,
        250,
      );
      const removed = [older, younger].filter((p) => {
        const now = after.find((x) => x.metadata.uid === p.metadata.uid);
        return !now || now.metadata.deletionTimestamp;
      });
      console.log(
        `[pod-deletion-cost] A ${older.metadata.name} (older, idle, cost 0) and B ${younger.metadata.name} (younger, busy, cost 1): removed ${removed.map((p) => p.metadata.name).join(', ')}\n${watch.report(started)}`,
      );
      expect(removed.map((p) => p.metadata.uid)).toEqual([older.metadata.uid]);
      const survivor = after.find((p) => p.metadata.uid === younger.metadata.uid);
      expect(survivor && !survivor.metadata.deletionTimestamp).toBe(true);

      // B finishes message 2: both stored once.
      await rowLock`rollback`;
      await waitUntil('message 2 stored', async () => (await storedCounts(db, namespace, second.ids)).rows === 1, 30_000, 250);
      expect(await storedCounts(db, namespace, [...first.ids, ...second.ids])).toEqual({ rows: 2, distinctRows: 2, inboxRows: 2 });
    } finally {
      stream.close();
      await watch.stop();
      await inboxLock`rollback`.catch(() => {});
      await rowLock`rollback`.catch(() => {});
      inboxLock.release();
      rowLock.release();
      await locks.end();
    }
  });
});
