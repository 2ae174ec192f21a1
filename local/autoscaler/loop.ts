import { EventEmitter } from 'node:events';
import type { ScalingPolicy } from '@qfn/shared/platform';
import { decideScale, initialScalerState, type ScaleDecision, type ScalerState } from './decide';
import type { HpaSettings } from './hpa';
import type { TriggerReading } from './scalers';

export interface FunctionAutoscalerOptions {
  name: string;
  policy: ScalingPolicy;
  hpa?: HpaSettings;
  /** Every trigger of the function's ScaledObject, read as its KEDA scaler reads it (errors as readings, not throws). */
  read: () => Promise<TriggerReading[]>;
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
 * const autoscaler = new FunctionAutoscaler({ name, policy, read: scalers.reader(triggers), scale: (n) => replicas.scale(n) });
 * autoscaler.on('decision', (d) => { if (d.from !== d.to) console.log(d.reason); });
 * autoscaler.start();
 */
export class FunctionAutoscaler extends EventEmitter<FunctionAutoscalerEvents> {
  #state: ScalerState;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #tick: Promise<void> | undefined;
  /** A push scaler said "active" since the last look began. */
  #woken = false;
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

  /**
   * A push scaler streamed "active": KEDA's executor looks at once (RequestScale), not at the next
   * pollingInterval, so a function at zero starts now.
   */
  wake(): void {
    if (!this.#running) return;
    this.#woken = true;
    if (this.#tick) return; // the look under way reschedules at once
    clearTimeout(this.#timer);
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
    this.#timer = setTimeout(
      () => {
        this.#tick = this.#look().finally(() => (this.#tick = undefined));
      },
      Math.max(0, delayMs),
    );
  }

  async #look(): Promise<void> {
    if (this.#woken) {
      this.#woken = false;
      this.#state = { ...this.#state, lastPollAt: undefined }; // KEDA's part of the tick is due now
    }
    let readings: TriggerReading[];
    try {
      readings = await this.options.read();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      readings = [{ trigger: 'queue', error: message, target: this.options.policy.targetQueueLength, activation: this.options.policy.activationQueueLength }];
    }
    if (!this.#running) return;
    const step = decideScale({
      name: this.options.name,
      policy: this.options.policy,
      ...(this.options.hpa ? { hpa: this.options.hpa } : {}),
      state: this.#state,
      readings,
      now: Date.now(),
    });
    this.#state = step.state;
    this.lastDecision = step.decision;
    if (step.decision.to !== step.decision.from) {
      this.lastChange = step.decision;
      this.options.scale(step.decision.to);
    }
    this.emit('decision', step.decision);
    this.#schedule(this.#woken ? 0 : step.nextAt - Date.now());
  }
}
