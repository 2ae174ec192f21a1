import { EventEmitter } from 'node:events';
import { Replica, type LaunchSpec, type ReplicaExit, type ReplicaPhase } from './replica';

/** Restart delays of a replica that keeps crashing: the kubelet's CrashLoopBackOff (10 s doubling to 5 min, reset after 10 min up). */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** A replica that ran this long before it crashed restarts after `initialMs` again. */
  resetAfterMs: number;
}

export const crashLoopBackoff: BackoffPolicy = { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

export interface ReplicaSetOptions {
  /** Function name, used in events and output prefixes. */
  name: string;
  launch: LaunchSpec | ((index: number) => LaunchSpec);
  /** SIGKILL this long after SIGTERM (the pod's terminationGracePeriodSeconds). */
  shutdownGracePeriodSeconds: number;
  backoff?: BackoffPolicy;
}

interface Slot {
  index: number;
  replica: Replica | undefined;
  restarts: number;
  nextDelayMs: number;
  restartTimer: NodeJS.Timeout | undefined;
  restartAt: number | undefined;
}

export interface ReplicaStatus {
  index: number;
  pid: number | undefined;
  phase: ReplicaPhase | 'backoff';
  restarts: number;
  coldStartMs: number | undefined;
  /** Messages it last reported working on; undefined before its first report. */
  inFlight: number | undefined;
  /** Epoch ms of the next restart while in back-off. */
  restartAt: number | undefined;
}

export interface ReplicaSetStatus {
  desired: number;
  ready: number;
  starting: number;
  terminating: number;
  backoff: number;
  replicas: ReplicaStatus[];
}

export interface ReplicaSetEvents {
  replica_started: [{ function: string; index: number; pid: number | undefined }];
  replica_ready: [{ function: string; index: number; pid: number | undefined; coldStartMs: number; reportedColdStartMs: number | undefined }];
  replica_stopped: [{ function: string; index: number; pid: number | undefined } & ReplicaExit];
  replica_crashed: [{ function: string; index: number; pid: number | undefined; restarts: number; restartInMs: number } & ReplicaExit];
  output: [{ function: string; index: number; stream: 'stdout' | 'stderr'; line: string }];
}

/**
 * Keeps `desired` processes of one function running, as a ReplicaSet keeps pods: scale-down stops
 * the ones not ready first, then the newest; a replica that dies is restarted in its slot after a
 * growing back-off.
 *
 * @example
 * const set = new ReplicaSet({ name: 'store-message', launch, shutdownGracePeriodSeconds: 30 });
 * set.scale(3);
 * await set.stop();
 */
export class ReplicaSet extends EventEmitter<ReplicaSetEvents> {
  readonly #slots = new Map<number, Slot>();
  readonly #terminating = new Map<number, Replica>();
  readonly #backoff: BackoffPolicy;
  #desired = 0;
  #stopped = false;

  constructor(private readonly options: ReplicaSetOptions) {
    super();
    this.#backoff = options.backoff ?? crashLoopBackoff;
  }

  get name(): string {
    return this.options.name;
  }

  get desired(): number {
    return this.#desired;
  }

  scale(desired: number): void {
    if (this.#stopped) return;
    this.#desired = desired;
    while (this.#slots.size < desired) this.#startSlot(this.#freeIndex());
    while (this.#slots.size > desired) this.#stopSlot(this.#victim());
  }

  status(): ReplicaSetStatus {
    const replicas: ReplicaStatus[] = [];
    for (const slot of this.#slots.values()) {
      replicas.push({
        index: slot.index,
        pid: slot.replica?.pid,
        phase: slot.replica ? slot.replica.phase : 'backoff',
        restarts: slot.restarts,
        coldStartMs: slot.replica?.coldStartMs,
        inFlight: slot.replica?.inFlight,
        restartAt: slot.restartAt,
      });
    }
    for (const [index, replica] of this.#terminating) {
      replicas.push({
        index,
        pid: replica.pid,
        phase: 'terminating',
        restarts: 0,
        coldStartMs: replica.coldStartMs,
        inFlight: replica.inFlight,
        restartAt: undefined,
      });
    }
    replicas.sort((a, b) => a.index - b.index);
    const count = (phase: ReplicaStatus['phase']) => replicas.filter((r) => r.phase === phase).length;
    return {
      desired: this.#desired,
      ready: count('ready'),
      starting: count('starting'),
      terminating: count('terminating'),
      backoff: count('backoff'),
      replicas,
    };
  }

  /** Scales to zero and waits until every process has exited. */
  async stop(): Promise<void> {
    this.scale(0);
    this.#stopped = true;
    await Promise.all([...this.#terminating.values()].map((replica) => replica.exited));
  }

  /** SIGKILLs every process at once (the runner is exiting without a drain). */
  kill(): void {
    for (const slot of this.#slots.values()) slot.replica?.kill();
    for (const replica of this.#terminating.values()) replica.kill();
  }

  #freeIndex(): number {
    let index = 1;
    while (this.#slots.has(index) || this.#terminating.has(index)) index++;
    return index;
  }

  /**
   * Like the ReplicaSet controller's ranking (ActivePodsWithRanks): not running before starting before
   * ready, then the lowest pod-deletion-cost (here the in-flight count the replica reports: idle ones
   * go first, busy ones finish), then the newest.
   */
  #victim(): Slot {
    const rank = (slot: Slot) => (!slot.replica ? 0 : slot.replica.phase === 'starting' ? 1 : 2);
    const cost = (slot: Slot) => slot.replica?.inFlight ?? 0;
    return [...this.#slots.values()].sort((a, b) => rank(a) - rank(b) || cost(a) - cost(b) || b.index - a.index)[0]!;
  }

  #startSlot(index: number): void {
    const slot: Slot = { index, replica: undefined, restarts: 0, nextDelayMs: this.#backoff.initialMs, restartTimer: undefined, restartAt: undefined };
    this.#slots.set(index, slot);
    this.#launch(slot);
  }

  #launch(slot: Slot): void {
    const launch = typeof this.options.launch === 'function' ? this.options.launch(slot.index) : this.options.launch;
    const replica = new Replica(launch);
    const base = { function: this.options.name, index: slot.index, pid: replica.pid };
    slot.replica = replica;
    slot.restartAt = undefined;
    replica.on('line', ({ stream, line }) => this.emit('output', { function: base.function, index: base.index, stream, line }));
    replica.on('ready', (ready) => this.emit('replica_ready', { ...base, ...ready }));
    replica.on('exit', (exit) => this.#onExit(slot, replica, exit));
    this.emit('replica_started', base);
  }

  #stopSlot(slot: Slot): void {
    this.#slots.delete(slot.index);
    clearTimeout(slot.restartTimer);
    const replica = slot.replica;
    if (!replica || replica.phase === 'exited') return;
    this.#terminating.set(slot.index, replica);
    void replica.stop(this.options.shutdownGracePeriodSeconds * 1000);
  }

  #onExit(slot: Slot, replica: Replica, exit: ReplicaExit): void {
    const base = { function: this.options.name, index: slot.index, pid: replica.pid };
    if (this.#terminating.get(slot.index) === replica) {
      this.#terminating.delete(slot.index);
      this.emit('replica_stopped', { ...base, ...exit });
      return;
    }
    if (this.#slots.get(slot.index) !== slot || slot.replica !== replica) return;
    slot.replica = undefined;
    const delay = exit.ranForMs >= this.#backoff.resetAfterMs ? this.#backoff.initialMs : slot.nextDelayMs;
    slot.nextDelayMs = Math.min(delay * 2, this.#backoff.maxMs);
    slot.restarts++;
    slot.restartAt = Date.now() + delay;
    slot.restartTimer = setTimeout(() => {
      if (this.#slots.get(slot.index) === slot && !this.#stopped) {
        this.#launch(slot);
      }
    }, delay);
    this.emit('replica_crashed', { ...base, ...exit, restarts: slot.restarts, restartInMs: delay });
  }
}
