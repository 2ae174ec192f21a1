import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { inFlightMessageType } from '@qfn/shared/platform';

/** How to start one process of a function: the same entry point its container runs. */
export interface LaunchSpec {
  command: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Open an IPC channel the process watches (parent-watch.mjs): it stops itself when the runner is gone. */
  watchParent?: boolean;
}

export interface ReplicaExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The supervisor asked it to stop (scale-down or shutdown), as opposed to a crash. */
  requested: boolean;
  /** SIGKILLed because it did not exit within the grace period. */
  killed: boolean;
  /** Milliseconds from SIGTERM to exit, when it was asked to stop. */
  drainMs: number | undefined;
  ranForMs: number;
}

export interface ReplicaEvents {
  line: [{ stream: 'stdout' | 'stderr'; line: string }];
  /** The process logged its "ready" line ("consuming" / "listening"). */
  ready: [{ coldStartMs: number; reportedColdStartMs: number | undefined }];
  exit: [ReplicaExit];
  /** The process reported how many messages it is working on (shared/src/runtime/in-flight-report.ts). */
  in_flight: [number];
}

export type ReplicaPhase = 'starting' | 'ready' | 'terminating' | 'exited';

/** A process' JSON log line, when it is one. */
export function parseLogLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const readyMessages = new Set(['consuming', 'listening']);

/**
 * One OS process running a function, like one pod's container: started at once, ready when it logs
 * "consuming" (or "listening"), stopped with SIGTERM and SIGKILLed after the grace period.
 *
 * @example
 * const replica = new Replica(launch);
 * replica.on('ready', ({ coldStartMs }) => console.log(coldStartMs));
 * await replica.stop(30_000);
 */
export class Replica extends EventEmitter<ReplicaEvents> {
  readonly #child: ChildProcess;
  readonly #startedAt = performance.now();
  #phase: ReplicaPhase = 'starting';
  #stopRequestedAt: number | undefined;
  #killed = false;
  readonly #exited: Promise<ReplicaExit>;
  coldStartMs: number | undefined;
  /** Messages the process last said it holds; undefined until it reports. */
  inFlight: number | undefined;

  constructor(launch: LaunchSpec) {
    super();
    // Its own process group: a Ctrl+C in the terminal reaches the runner, which stops replicas in order.
    this.#child = spawn(launch.command, [...launch.args], {
      env: launch.env,
      cwd: launch.cwd,
      stdio: launch.watchParent ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.#phase = 'exited';
        const exit: ReplicaExit = {
          code,
          signal,
          requested: this.#stopRequestedAt !== undefined,
          killed: this.#killed,
          drainMs: this.#stopRequestedAt === undefined ? undefined : Math.round(performance.now() - this.#stopRequestedAt),
          ranForMs: Math.round(performance.now() - this.#startedAt),
        };
        // Let the last output lines through before announcing the exit.
        setImmediate(() => {
          this.emit('exit', exit);
          resolve(exit);
        });
      });
    });
    this.#child.once('error', (error) => this.emit('line', { stream: 'stderr', line: `could not start: ${error.message}` }));
    this.#child.on('message', (message: { type?: unknown; inFlight?: unknown }) => {
      if (message?.type !== inFlightMessageType || typeof message.inFlight !== 'number') return;
      this.inFlight = message.inFlight;
      this.emit('in_flight', message.inFlight);
    });
    this.#follow('stdout');
    this.#follow('stderr');
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get phase(): ReplicaPhase {
    return this.#phase;
  }

  get exited(): Promise<ReplicaExit> {
    return this.#exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. Resolves when it has exited. */
  stop(graceMs: number): Promise<ReplicaExit> {
    if (this.#phase === 'exited' || this.#stopRequestedAt !== undefined) return this.#exited;
    this.#phase = 'terminating';
    this.#stopRequestedAt = performance.now();
    this.#signal('SIGTERM');
    const timer = setTimeout(() => {
      this.#killed = true;
      this.#signal('SIGKILL');
    }, graceMs);
    return this.#exited.finally(() => clearTimeout(timer));
  }

  /** Last resort when the runner itself exits: no drain. */
  kill(): void {
    if (this.#phase !== 'exited') this.#signal('SIGKILL');
  }

  #signal(signal: NodeJS.Signals): void {
    try {
      this.#child.kill(signal);
    } catch {
      // Already gone.
    }
  }

  #follow(stream: 'stdout' | 'stderr'): void {
    const source = this.#child[stream];
    if (!source) return;
    createInterface({ input: source, crlfDelay: Infinity }).on('line', (line) => {
      if (this.#phase === 'starting') {
        const log = parseLogLine(line);
        if (log && readyMessages.has(String(log.msg))) {
          this.#phase = 'ready';
          this.coldStartMs = Math.round(performance.now() - this.#startedAt);
          const reported = typeof log.coldStartMs === 'number' ? log.coldStartMs : undefined;
          this.emit('ready', { coldStartMs: this.coldStartMs, reportedColdStartMs: reported });
        }
      }
      this.emit('line', { stream, line });
    });
  }
}
