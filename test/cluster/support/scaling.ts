import type { LocalCluster } from './cluster';
import { conditionsLine, deployment, hpa, isReady, pods, scaledObject } from './release';

export interface ScaleSample {
  at: number;
  /** spec.replicas of the Deployment: what KEDA (0 ⇄ 1) and the HPA (1 ⇄ N) asked for. */
  desired: number;
  ready: number;
  hpaDesired?: number;
  scaledObject: string;
  hpa: string;
}

/**
 * Samples a function's Deployment, HPA and ScaledObject every `intervalMs` until stopped (at most `maxSeconds`), and keeps
 * a line each time something changes: the scaling timeline KEDA and the HPA produced.
 */
export function watchScaling(cluster: LocalCluster, namespace: string, component: string, intervalMs = 250, maxSeconds = 900) {
  const changes: ScaleSample[] = [];
  let maxDesired = 0;
  let stopped = false;
  const deadline = Date.now() + maxSeconds * 1000;
  const done = (async () => {
    while (!stopped && Date.now() < deadline) {
      try {
        const [d, h, so, podList] = await Promise.all([
          deployment(cluster, namespace, component),
          hpa(cluster, namespace, component),
          scaledObject(cluster, namespace, component),
          pods(cluster, namespace, component),
        ]);
        const sample: ScaleSample = {
          at: Date.now(),
          desired: Number(d?.spec?.['replicas'] ?? 0),
          ready: podList.filter(isReady).length,
          hpaDesired: h?.status?.desiredReplicas,
          scaledObject: conditionsLine(so),
          hpa: conditionsLine(h),
        };
        maxDesired = Math.max(maxDesired, sample.desired);
        const last = changes.at(-1);
        if (
          !last ||
          last.desired !== sample.desired ||
          last.ready !== sample.ready ||
          last.hpaDesired !== sample.hpaDesired ||
          last.scaledObject !== sample.scaledObject ||
          last.hpa !== sample.hpa
        ) {
          changes.push(sample);
        }
      } catch {
        // a failed poll is retried at the next tick
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    changes,
    get maxDesired() {
      return maxDesired;
    },
    /** First time a sample satisfied `predicate` (wall-clock ms), if any. */
    firstTime(predicate: (sample: ScaleSample) => boolean): number | undefined {
      return changes.find(predicate)?.at;
    },
    async stop() {
      stopped = true;
      await done;
    },
    report(origin: number): string {
      return changes
        .map(
          (s) =>
            `  +${((s.at - origin) / 1000).toFixed(1)}s replicas ${s.desired} (ready ${s.ready}, hpa desired ${s.hpaDesired ?? '-'}) ScaledObject[${s.scaledObject}] HPA[${s.hpa}]`,
        )
        .join('\n');
    },
  };
}

export async function waitUntil<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
}
