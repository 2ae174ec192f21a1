import type { Database, QueueAdmin, QueueSpec } from '@qfn/shared/platform';
import type { ConsoleHub } from '../server/hub';
import { InboxProbe } from '../server/inbox-probe';
import type { FunctionInfo } from '../server/model';
import type { KubernetesApi } from './client';
import { fetchClusterObjects } from './fetch';
import { readClusterScaling, type ClusterReading } from './reader';

export interface ClusterConsoleOptions {
  hub: ConsoleHub;
  /** The release's namespace and name, and the API as the pod's service account; none: replicas and decisions stay unknown. */
  kubernetes?: { api: KubernetesApi; namespace: string; release: string };
  queueAdmin: QueueAdmin;
  db: Database;
  /** The consumer functions' queues (the publish function's generated list). */
  queues: readonly QueueSpec[];
  sampleIntervalMs?: number;
  kubernetesIntervalMs?: number;
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Feeds the console on a cluster, from the publish function: queue depth from the broker and
 * processed/s and lag from the inbox every couple of seconds, replicas and scale decisions from the
 * Kubernetes API every few. It runs only while someone watches (`hub` calls `watching`), so an
 * installation nobody looks at pays nothing.
 *
 * @example
 * const source = new ClusterConsoleSource({ hub, queueAdmin, db, queues, kubernetes: { ...inClusterApi(), release: 'qfn' } });
 * const hub = new ConsoleHub({ installation, onWatchers: (on) => source.watching(on) });
 */
export class ClusterConsoleSource {
  readonly #inbox: InboxProbe;
  readonly #seenColdStarts = new Set<string>();
  #reading: ClusterReading | undefined;
  #readingAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #functionsKey = '';

  constructor(private readonly options: ClusterConsoleOptions) {
    this.#inbox = new InboxProbe(options.db);
    this.#publishFunctions(options.queues.map((spec) => this.#unknownInfo(spec.name)));
  }

  watching(on: boolean): void {
    if (on && !this.#running) {
      this.#running = true;
      void this.#tick();
    } else if (!on) {
      this.#running = false;
      clearTimeout(this.#timer);
    }
  }

  #unknownInfo(name: string): FunctionInfo {
    return {
      name,
      minReplicaCount: null,
      maxReplicaCount: null,
      targetQueueLength: null,
      activationQueueLength: null,
      pollingInterval: null,
      cooldownPeriod: null,
    };
  }

  #publishFunctions(functions: FunctionInfo[]): void {
    const key = JSON.stringify(functions);
    if (key === this.#functionsKey) return;
    this.#functionsKey = key;
    this.options.hub.setFunctions(functions);
  }

  async #tick(): Promise<void> {
    const { hub, kubernetes } = this.options;
    if (kubernetes && Date.now() - this.#readingAt >= (this.options.kubernetesIntervalMs ?? 5_000)) {
      this.#readingAt = Date.now();
      try {
        this.#apply(readClusterScaling(await fetchClusterObjects(kubernetes.api, kubernetes.namespace, kubernetes.release)));
        hub.warn('kubernetes', undefined);
      } catch (error) {
        hub.warn('kubernetes', `replicas and decisions unavailable: ${describe(error)}`);
      }
    } else if (!kubernetes) {
      hub.warn('kubernetes', 'replicas and scale decisions are not shown: the console has no Kubernetes access (console.enabled in the chart)');
    }
    await this.#sample();
    if (this.#running) this.#timer = setTimeout(() => void this.#tick(), this.options.sampleIntervalMs ?? 2_000);
  }

  #apply(reading: ClusterReading): void {
    const { hub } = this.options;
    this.#reading = reading;
    const known = new Map(reading.functions.map((fn) => [fn.info.name, fn.info]));
    this.#publishFunctions(this.options.queues.map((spec) => known.get(spec.name) ?? this.#unknownInfo(spec.name)));
    for (const marker of reading.markers) if (!hub.hasMarker(marker)) hub.marker(marker);
    for (const cold of reading.coldStarts) {
      if (this.#seenColdStarts.has(cold.replica)) continue;
      this.#seenColdStarts.add(cold.replica);
      hub.coldStart(cold);
    }
  }

  async #sample(): Promise<void> {
    const { hub, queueAdmin } = this.options;
    const t = Date.now();
    await Promise.all(
      this.options.queues.map(async (spec) => {
        const replicas = this.#reading?.functions.find((fn) => fn.info.name === spec.name);
        const [depth, inbox] = await Promise.allSettled([queueAdmin.queueDepth(spec), this.#inbox.read(spec.name)]);
        hub.warn(`depth:${spec.name}`, depth.status === 'rejected' ? `queue of ${spec.name} unreadable: ${describe(depth.reason)}` : undefined);
        hub.warn(`inbox:${spec.name}`, inbox.status === 'rejected' ? `processed/s of ${spec.name} unavailable: ${describe(inbox.reason)}` : undefined);
        const d = depth.status === 'fulfilled' ? depth.value : undefined;
        const i = inbox.status === 'fulfilled' ? inbox.value : undefined;
        hub.record(spec.name, {
          t,
          ready: d?.ready ?? null,
          inFlight: d?.inFlight ?? null,
          delayed: d?.delayed ?? null,
          desired: replicas?.desired ?? null,
          readyReplicas: replicas?.ready ?? null,
          processedPerSecond: i ? Math.round(i.processedPerSecond * 10) / 10 : null,
          lagP50: i?.lagP50 ?? null,
          lagP99: i?.lagP99 ?? null,
        });
      }),
    );
  }
}
