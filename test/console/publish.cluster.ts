/**
 * The console on a real cluster: the chart installed with console.enabled=true on the local cluster of
 * cluster/up.sh (images from cluster/images.sh), the page served by the publish pod behind the admin
 * token, replicas and KEDA's/the HPA's decisions read by the pod from the API with the chart's Role,
 * while a burst scales store-message 0 → N → 0. Screenshot in test/console/artifacts/.
 *
 *   npx vitest run --config test/console/vitest.cluster.config.ts publish
 *
 * Needs pods to reach the API server (the kubernetes Service, 10.96.0.1:443): cluster/up.sh serves kube-apiserver on
 * the bridge's gateway address, which the Service's endpoint names. The reader itself is checked by kubernetes.cluster.ts;
 * npm run test:cluster reads the same console from the publish pod in test/cluster/scaling-designs.cluster.ts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleSnapshot } from '../../console/server/model';
import { localCluster, type LocalCluster } from '../cluster/support/cluster';
import { deleteNamespace, installRelease, publishUrl } from '../cluster/support/release';
import { openDatabase, publishMessages, type Database } from '../cluster/support/traffic';
import { uniqueName } from '../support/names';
import { waitFor } from '../support/wait';
import { artifactsDir, launchBrowser } from './support';

describe('the console served by the publish pod on a real cluster (console.enabled)', () => {
  const namespace = uniqueName('cconsole');
  let adminToken: string;
  let publishToken: string;
  let cluster: LocalCluster;
  let db: Database;
  let base: string;
  const snapshot = async () => {
    const response = await fetch(`${base}/console/api/snapshot`, { headers: { authorization: `Bearer ${adminToken}` } });
    if (response.status !== 200) throw new Error(`snapshot answered ${response.status}`);
    return (await response.json()) as ConsoleSnapshot;
  };

  beforeAll(async () => {
    cluster = await localCluster();
    db = openDatabase();
    const [setting] = await db<{ max_connections: string }[]>`show max_connections`;
    ({ adminToken, publishToken } = await installRelease(cluster, namespace, 'rabbitmq', Number(setting?.max_connections), [
      '--set',
      'console.enabled=true',
      '--set',
      'functions.run-job.enabled=false',
    ]));
    base = await publishUrl(cluster, namespace);
    // kube-proxy's rules for a new Service can trail the install by a moment.
    await waitFor('the publish Service', async () => (await fetch(`${base}/healthz`).catch(() => undefined))?.ok, 60_000, 500);
  }, 600_000);

  afterAll(async () => {
    if (cluster) await deleteNamespace(cluster, namespace).catch(() => {});
    if (db) {
      await db.unsafe(`drop schema if exists "${namespace}" cascade`).catch(() => {});
      await db.end();
    }
    cluster?.agent.destroy();
  });

  it('shows no data without the admin token, and reads the ScaledObject’s settings with it', async () => {
    expect((await fetch(`${base}/console/`)).status).toBe(200);
    expect((await fetch(`${base}/console/api/snapshot`)).status).toBe(401);
    const first = await waitFor(
      'the pod to read the Kubernetes API',
      async () => {
        // Nothing is read until someone watches: open the stream once to start the source.
        const controller = new AbortController();
        void fetch(`${base}/console/api/stream`, { headers: { authorization: `Bearer ${adminToken}` }, signal: controller.signal }).catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        const current = await snapshot();
        controller.abort();
        return current.functions.find((fn) => fn.name === 'store-message')?.maxReplicaCount !== null ? current : undefined;
      },
      60_000,
      0,
    );
    expect(first.functions.find((fn) => fn.name === 'store-message')).toMatchObject({ maxReplicaCount: 4, targetQueueLength: 100, cooldownPeriod: 15 });
    expect(first.warnings.filter((w) => /kubernetes|replicas/i.test(w))).toEqual([]);
  }, 120_000);

  it('draws store-message scaled 0 → N → 0 by KEDA and the HPA, with their reasons', async () => {
    mkdirSync(artifactsDir, { recursive: true });
    const browser = await launchBrowser();
    const page = await browser.context.newPage();
    try {
      await page.goto(`${base}/console/#token=${adminToken}`);
      await page.locator('.uplot').nth(3).waitFor();
      await page.locator('#window-select').selectOption('120');
      await page.evaluate("window.qfnConsole.select('store-message')");
      const published = await publishMessages(base, publishToken, 2_000);
      expect(published.ids).toHaveLength(2_000);
      await waitFor(
        'replicas above 1 on the chart',
        async () => {
          const points = await page.evaluate<{ desired: number | null }[]>("window.qfnConsole.series('store-message')");
          return points.some((p) => (p.desired ?? 0) > 1);
        },
        240_000,
        1_000,
      ).catch(async (error: unknown) => {
        const current = await snapshot().catch((e: unknown) => String(e));
        const points = await page.evaluate<unknown[]>("window.qfnConsole.series('store-message').slice(-5)");
        throw new Error(
          `${String(error)}\nwarnings: ${JSON.stringify(typeof current === 'string' ? current : current.warnings)}\nlast points: ${JSON.stringify(points)}\nnotice: ${await page.locator('#notice').textContent()}`,
        );
      });
      const markers = await waitFor(
        'KEDA’s deactivation to 0 among the markers',
        async () => {
          const found = await page.evaluate<{ by: string; to: number | null; from: number | null; kind: string; reason: string }[]>(
            "window.qfnConsole.markers('store-message')",
          );
          return found.some((m) => m.by === 'keda' && m.to === 0) ? found : undefined;
        },
        300_000,
        1_000,
      );
      await page.waitForTimeout(3_000);
      await page.screenshot({ path: join(artifactsDir, 'cluster-0-N-0.png'), fullPage: true });
      const scale = markers.filter((m) => m.kind === 'scale');
      console.log(`cluster console markers:\n${markers.map((m) => `  ${m.kind} ${m.by} ${m.reason}`).join('\n')}`);
      expect(scale.some((m) => m.by === 'keda' && m.from === 0 && m.to === 1)).toBe(true);
      expect(scale.some((m) => m.by === 'hpa' && (m.to ?? 0) > 1 && /above target/.test(m.reason))).toBe(true);
      expect(await page.locator('#decisions li[data-by="keda"]').count()).toBeGreaterThanOrEqual(2);
    } finally {
      await browser.close();
    }
  }, 600_000);
});
