import { count, eq } from 'drizzle-orm';
import { inbox, outboxStats, type Database, type OutboxStats, type QueueAdmin, type QueueDepth, type QueueSpec } from '@qfn/shared/platform';

export interface FunctionMetrics {
  depth: QueueDepth | undefined;
  depthError: string | undefined;
  /** Messages whose effect committed since the runner started: the function's new inbox rows. */
  processed: number;
  /** Over the last few seconds. */
  processedPerSecond: number;
}

export interface MetricsSamplerOptions {
  functions: readonly QueueSpec[];
  broker: QueueAdmin;
  db: Database;
  intervalMs?: number;
  /** Whether a function has (or just had) replicas: the inbox is only counted while it can grow. */
  hasReplicas: (name: string) => boolean;
}

interface Sample {
  at: number;
  total: number;
}

const rateWindowMs = 5_000;

/**
 * Samples, once a second, what the status shows beyond replica counts: queue depth (ready, in flight,
 * delayed) from the broker, messages processed from the inbox rows the runtime commits with every
 * handled message, so the figure counts committed work, not log lines, and the outbox's size and lag.
 *
 * @example
 * const sampler = new MetricsSampler({ functions: specs, broker, db, hasReplicas: (n) => sets.get(n)!.desired > 0 });
 * await sampler.start();
 * sampler.metrics('store-message').processedPerSecond;
 */
export class MetricsSampler {
  readonly #baseline = new Map<string, number>();
  readonly #samples = new Map<string, Sample[]>();
  readonly #metrics = new Map<string, FunctionMetrics>();
  readonly #wasBusy = new Set<string>();
  #outbox: OutboxStats | undefined;
  #timer: NodeJS.Timeout | undefined;
  #sampling: Promise<void> | undefined;
  #running = false;

  constructor(private readonly options: MetricsSamplerOptions) {}

  /** Takes the baseline counts, then samples every interval. */
  async start(): Promise<void> {
    for (const spec of this.options.functions) {
      const total = await this.#inboxRows(spec.name);
      this.#baseline.set(spec.name, total);
      this.#samples.set(spec.name, [{ at: Date.now(), total }]);
      this.#metrics.set(spec.name, { depth: undefined, depthError: undefined, processed: 0, processedPerSecond: 0 });
    }
    this.#running = true;
    this.#loop();
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#sampling;
  }

  metrics(name: string): FunctionMetrics | undefined {
    return this.#metrics.get(name);
  }

  /** Events waiting in the outbox (emitted by handlers, or delayed): the last sample, undefined before the first. */
  outbox(): OutboxStats | undefined {
    return this.#outbox;
  }

  #loop(): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      this.#sampling = this.#sampleAll().finally(() => {
        this.#sampling = undefined;
        this.#loop();
      });
    }, this.options.intervalMs ?? 1_000);
  }

  async #sampleAll(): Promise<void> {
    await Promise.all([...this.options.functions.map((spec) => this.#sample(spec)), this.#sampleOutbox()]);
  }

  async #sampleOutbox(): Promise<void> {
    try {
      this.#outbox = await outboxStats(this.options.db);
    } catch {
      // Keep the last figures; the database may be restarting.
    }
  }

  async #sample(spec: QueueSpec): Promise<void> {
    const current = this.#metrics.get(spec.name)!;
    const next: FunctionMetrics = { ...current };
    try {
      next.depth = await this.options.broker.queueDepth(spec);
      next.depthError = undefined;
    } catch (error) {
      next.depthError = error instanceof Error ? error.message : String(error);
    }
    const busy = this.options.hasReplicas(spec.name);
    // One more count after the last replica went away catches what it committed while draining.
    if (busy || this.#wasBusy.has(spec.name)) {
      try {
        const total = await this.#inboxRows(spec.name);
        const samples = this.#samples.get(spec.name)!;
        const now = Date.now();
        samples.push({ at: now, total });
        while (samples.length > 2 && samples[0]!.at < now - rateWindowMs) samples.shift();
        const first = samples[0]!;
        next.processed = total - this.#baseline.get(spec.name)!;
        next.processedPerSecond = now > first.at ? ((total - first.total) * 1000) / (now - first.at) : 0;
      } catch {
        // Keep the last figures; the database may be restarting.
      }
    } else {
      next.processedPerSecond = 0;
      const samples = this.#samples.get(spec.name)!;
      samples.splice(0, samples.length - 1);
      samples[0]!.at = Date.now();
    }
    if (busy) this.#wasBusy.add(spec.name);
    else this.#wasBusy.delete(spec.name);
    this.#metrics.set(spec.name, next);
  }

  async #inboxRows(name: string): Promise<number> {
    const [row] = await this.options.db.select({ rows: count() }).from(inbox).where(eq(inbox.functionName, name));
    return row?.rows ?? 0;
  }
}
