import { EventEmitter } from 'node:events';
import type { ScalingPolicy } from '@qfn/shared';
import { decideScale, initialScalerState, type ScaleDecision, type ScalerState } from './decide';
import type { HpaSettings } from './hpa';

export interface FunctionAutoscalerOptions {
  name: string;
  policy: ScalingPolicy;
  hpa?: HpaSettings;
  /** The queue length as the function's KEDA scaler reads it. */
  readDepth: () => Promise<number>;
  /** Sets the desired replica count (the Deployment's spec.replicas). */
  scale: (replicas: number) => void;
}

export interface FunctionAutoscalerEvents {
  decision: [ScaleDecision];
}

/**
 * Polls one function's queue on KEDA's and the HPA's schedule and applies each scaling decision.
 *
 * @example
 * const autoscaler = new FunctionAutoscaler({ name, policy, readDepth: () => depthOf(spec), scale: (n) => replicas.scale(n) });
 * autoscaler.on('decision', (d) => { if (d.from !== d.to) console.log(d.reason); });
 * autoscaler.start();
 */
export class FunctionAutoscaler extends EventEmitter<FunctionAutoscalerEvents> {
  #state: ScalerState;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #tick: Promise<void> | undefined;
  lastDecision: ScaleDecision | undefined;
  /** The last decision that changed the replica count. */
  lastChange: ScaleDecision | undefined;

  constructor(private readonly options: FunctionAutoscalerOptions) {
    super();
    this.#state = initialScalerState(options.policy);
  }

  get replicas(): number {
    return this.#state.replicas;
  }

  get policy(): ScalingPolicy {
    return this.options.policy;
  }

  /** Starts at minReplicaCount and looks at the queue at once. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.options.scale(this.#state.replicas);
    this.#schedule(0);
  }

  /** Stops polling; the replicas stay as they are. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#tick;
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      this.#tick = this.#look().finally(() => (this.#tick = undefined));
    }, Math.max(0, delayMs));
  }

  async #look(): Promise<void> {
    let reading: { depth: number } | { error: string };
    try {
      reading = { depth: await this.options.readDepth() };
    } catch (error) {
      reading = { error: error instanceof Error ? error.message : String(error) };
    }
    if (!this.#running) return;
    const step = decideScale({
      name: this.options.name,
      policy: this.options.policy,
      ...(this.options.hpa ? { hpa: this.options.hpa } : {}),
      state: this.#state,
      reading,
      now: Date.now(),
    });
    this.#state = step.state;
    this.lastDecision = step.decision;
    if (step.decision.to !== step.decision.from) {
      this.lastChange = step.decision;
      this.options.scale(step.decision.to);
    }
    this.emit('decision', step.decision);
    this.#schedule(step.nextAt - Date.now());
  }
}
