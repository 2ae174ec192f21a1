import { readFile } from 'node:fs/promises';
import { afterAll, expect, it } from 'vitest';
import { helm, kubectl, run, type LocalCluster } from './support/cluster';
import {
  conditionsLine,
  deleteNamespace,
  deployment,
  deploymentName,
  events,
  imageTag,
  installRelease,
  isReady,
  pods,
  publishUrl,
  releaseNamespace,
  scaledObject,
  type Broker,
  type Release,
  upgradeRelease,
} from './support/release';
import { coldStartSample, median, type ColdStart } from './support/cold-start';
import { waitUntil, watchScaling } from './support/scaling';
import { openDatabase, publishMessages, storedCounts, type Database } from './support/traffic';

export type { ColdStart };

/** What one broker's run measured, printed at the end and kept for the report. */
export interface Figures {
  broker: Broker;
  installSeconds: number;
  coldStarts: { pollingInterval: number; samples: ColdStart[] }[];
  burst?: { messages: number; publishSeconds: number; maxReplicas: number; allStoredSeconds: number; backToZeroSeconds: number };
}

export const functionsAtZero = ['store-message', 'run-job'] as const;

/** Queue depth as KEDA's scalers see it: RabbitMQ's management API, or the emulator's SQS attributes. */
export type QueueDepth = (release: Release, fn: string) => Promise<number>;

/** Steps 1, 2 and 4 of the user path, shared by both brokers; `extra` adds broker-specific steps after the burst. Prints the run's figures at the end. */
export function userPath(options: {
  broker: Broker;
  cluster: () => LocalCluster;
  queueDepth: QueueDepth;
  queueExists: (release: Release, fn: string) => Promise<boolean>;
  extra?: (context: { release: () => Release; db: () => Database }) => void;
}) {
  let release: Release;
  let db!: Database;
  let cleanedUp = false;
  const namespace = releaseNamespace(options.broker);
  const cluster = options.cluster;
  const figures: Figures = { broker: options.broker, installSeconds: 0, coldStarts: [] };
  afterAll(() => console.log(`[${options.broker}] figures ${JSON.stringify(figures)}`));

  // Whatever step failed: the namespace, the schema and the pool go (the last step does it on success).
  afterAll(async () => {
    if (cleanedUp) return;
    await deleteNamespace(cluster(), namespace).catch(() => {});
    if (!db) return;
    await db.unsafe(`drop schema if exists "${namespace}" cascade`).catch(() => {});
    await db.end();
  });

  it('helm install: the hooks migrate and provision in order, every pod is admitted, functions sit at zero', async () => {
    db = openDatabase();
    const [setting] = await db<{ max_connections: string }[]>`show max_connections`;
    release = await installRelease(cluster(), namespace, options.broker, Number(setting?.max_connections));
    figures.installSeconds = release.installSeconds;
    const ns = release.namespace;

    // Hooks ran in weight order: migrate (-10) completed before provision (-5) was created.
    const all = await events(cluster(), ns);
    const jobEvents = all.filter((e) => e.kind === 'Job');
    const migrateDone = jobEvents.find((e) => e.name === deploymentName('migrate') && e.reason === 'Completed');
    const provisionCreated = jobEvents.find((e) => e.name === deploymentName('provision') && e.reason === 'SuccessfulCreate');
    expect(migrateDone, JSON.stringify(jobEvents)).toBeDefined();
    expect(provisionCreated, JSON.stringify(jobEvents)).toBeDefined();
    expect(migrateDone!.at <= provisionCreated!.at).toBe(true);
    // ... and really did their work: the tables are in the release's schema, the queues exist.
    const tables = await db<{ table_name: string }[]>`select table_name from information_schema.tables where table_schema = ${ns}`;
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['messages', 'inbox']));
    for (const fn of functionsAtZero) expect(await options.queueExists(release, fn)).toBe(true);

    // Pod Security "restricted" admitted every pod: no FailedCreate, the publish function is Ready.
    expect(all.filter((e) => e.reason === 'FailedCreate').map((e) => e.message)).toEqual([]);
    const publishPods = await pods(cluster(), ns, 'publish');
    expect(publishPods.filter(isReady).length).toBeGreaterThanOrEqual(1);

    for (const fn of [...functionsAtZero, 'publish']) {
      const so = await waitUntil(
        `ScaledObject ${fn} Ready`,
        async () => {
          const object = await scaledObject(cluster(), ns, fn);
          return object?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? object : undefined;
        },
        60_000,
      );
      console.log(`[${options.broker}] ScaledObject ${fn}: ${conditionsLine(so)}`);
    }
    for (const fn of functionsAtZero) {
      await waitUntil(`${fn} at 0 replicas`, async () => (await deployment(cluster(), ns, fn))?.spec?.['replicas'] === 0, 60_000);
      // A new RabbitMQ queue has no counts until the broker's next statistics round: wait for them, as KEDA's scaler does.
      const depth = await waitUntil(
        `${fn}'s queue length`,
        async () => {
          const value = await options.queueDepth(release, fn);
          return Number.isNaN(value) ? undefined : { value };
        },
        30_000,
        500,
      );
      expect(depth.value).toBe(0);
    }
    console.log(`[${options.broker}] helm install (hooks, --wait) took ${release.installSeconds.toFixed(1)} s`);
  });

  it('one message at zero replicas, 3 times per pollingInterval (declared 5 s, then 1 s): publish → KEDA scales to 1 → pod Ready → stored', async () => {
    for (const pollingInterval of [5, 1]) {
      if (pollingInterval !== Number((await scaledObject(cluster(), release.namespace, 'store-message'))?.spec?.['pollingInterval'])) {
        await upgradeRelease(cluster(), release.namespace, `functions.store-message.scaling.pollingInterval=${pollingInterval}`);
      }
      const samples: ColdStart[] = [];
      for (let run = 0; run < 3; run++) {
        const sample = await coldStartSample(cluster(), release, db, options.broker);
        samples.push({ scaledMs: sample.scaledMs, podReadyMs: sample.podReadyMs, storedMs: sample.storedMs });
      }
      figures.coldStarts.push({ pollingInterval, samples });
      console.log(
        `[${options.broker}] scale from zero, pollingInterval ${pollingInterval} s, median of 3: published → replicas 1 ${median(samples, 'scaledMs')} ms → ` +
          `pod Ready ${median(samples, 'podReadyMs')} ms; stored ${median(samples, 'storedMs')} ms (${samples.map((x) => x.storedMs).join(', ')})`,
      );
      for (const sample of samples) expect(sample.storedMs).toBeGreaterThan(0);
    }
    // Back to the declared interval for the steps that follow.
    await upgradeRelease(cluster(), release.namespace, 'functions.store-message.scaling.pollingInterval=5');
    await waitUntil(
      'store-message back at 0',
      async () => (await deployment(cluster(), release.namespace, 'store-message'))?.spec?.['replicas'] === 0,
      180_000,
    );
  });

  it('2,000 messages: KEDA activates, the HPA scales to ≥ 2, each message is stored exactly once, back to 0 after the cooldown', async () => {
    const ns = release.namespace;
    const url = await publishUrl(cluster(), ns);
    const watch = watchScaling(cluster(), ns, 'store-message', 250);
    try {
      const published = await publishMessages(url, release.publishToken, 2000, 32, 'burst');
      const origin = published.startedAt;
      expect(new Set(published.ids).size).toBe(2000);
      const stored = await waitUntil(
        '2,000 stored',
        async () => {
          const counts = await storedCounts(db, ns, published.ids);
          return counts.rows === 2000 ? counts : undefined;
        },
        300_000,
        500,
      );
      const allStoredAt = Date.now();
      expect(stored).toEqual({ rows: 2000, distinctRows: 2000, inboxRows: 2000 });
      await waitUntil('store-message back at 0', async () => (await deployment(cluster(), ns, 'store-message'))?.spec?.['replicas'] === 0, 300_000);
      const zeroAt = Date.now();
      figures.burst = {
        messages: 2000,
        publishSeconds: published.seconds,
        maxReplicas: watch.maxDesired,
        allStoredSeconds: (allStoredAt - origin) / 1000,
        backToZeroSeconds: (zeroAt - allStoredAt) / 1000,
      };
      const keda = (await events(cluster(), ns)).filter(
        (e) => e.kind === 'ScaledObject' || e.kind === 'HorizontalPodAutoscaler' || (e.kind === 'Deployment' && e.name === deploymentName('store-message')),
      );
      console.log(
        `[${options.broker}] burst: ${JSON.stringify(figures.burst)}\n${watch.report(origin)}\n` +
          keda.map((e) => `  ${e.at} ${e.kind}/${e.name} ${e.reason}: ${e.message}`).join('\n'),
      );
      expect(watch.maxDesired).toBeGreaterThanOrEqual(2);
      expect(await options.queueDepth(release, 'store-message')).toBe(0);
    } finally {
      await watch.stop();
    }
  });

  options.extra?.({ release: () => release, db: () => db });

  it('helm test passes; helm uninstall leaves only what the README says (the Secret; tables and queues outside)', async () => {
    const ns = release.namespace;
    const { stdout } = await helm(cluster(), ['test', 'qfn', '-n', ns, '--timeout', '5m']);
    expect(stdout).toMatch(/Phase:\s+Succeeded/);
    await helm(cluster(), ['uninstall', 'qfn', '-n', ns, '--wait', '--timeout', '5m']);
    const left = await waitUntil(
      'only the Secret left',
      async () => {
        const { stdout: names } = await kubectl(cluster(), [
          '-n',
          ns,
          'get',
          'all,configmap,secret,serviceaccount,networkpolicy,poddisruptionbudget,job,scaledobject,triggerauthentication,ingress',
          '-o',
          'name',
        ]);
        const rest = names
          .split('\n')
          .filter(Boolean)
          .filter((n) => n !== 'configmap/kube-root-ca.crt' && n !== 'serviceaccount/default');
        return rest.length === 1 ? rest : undefined;
      },
      120_000,
      1000,
    );
    expect(left).toEqual(['secret/qfn-credentials']);
    await deleteNamespace(cluster(), ns);
    await db.unsafe(`drop schema if exists "${ns}" cascade`);
    await db.end();
    cleanedUp = true;
  });
}

/** The store-message image under a second tag: the same bits, a new pod template, as a real release would be. */
export async function retagStoreMessage(newTag: string): Promise<void> {
  await run('bash', ['cluster/images.sh', '--only', 'store-message', '--retag', `${imageTag}:${newTag}`], { timeoutMs: 300_000 });
}

export async function readFigures(path: string): Promise<Figures[]> {
  return JSON.parse(await readFile(path, 'utf8')) as Figures[];
}
