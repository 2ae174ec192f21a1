import type { BrokerEvent, BrokerEventListener } from './types';

export interface ConnectionMonitorOptions {
  /**
   * One try at getting the connection back (open and set up a connection, or probe an endpoint).
   * The adapter calls `markUp()` when the connection is usable; a rejection is a failed try.
   */
  attempt: () => Promise<unknown>;
  /** First delay between tries; doubles after every failed one, up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Whether a broker connection is up, and the tries that bring it back: `connect()` tries until a
 * deadline, `markDown()` starts tries in the background (with backoff) that go on until the adapter
 * calls `markUp()` or `close()`. Emits the lifecycle events both adapters share (`connected`,
 * `disconnected`, `reconnect_failed`); an adapter emits its own (`blocked`) through `emit`.
 *
 * @example
 * const monitor = new ConnectionMonitor({ attempt: () => openAndSetUp() });
 * connection.on('close', (error) => monitor.markDown(error));
 * await monitor.connect(30_000);
 */
export class ConnectionMonitor {
  #up = false;
  #closed = false;
  #retryTimer: NodeJS.Timeout | undefined;
  readonly #listeners = new Set<BrokerEventListener>();

  constructor(private readonly options: ConnectionMonitorOptions) {}

  get isUp(): boolean {
    return this.#up && !this.#closed;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  on(listener: BrokerEventListener): void {
    this.#listeners.add(listener);
  }

  off(listener: BrokerEventListener): void {
    this.#listeners.delete(listener);
  }

  emit(event: BrokerEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }

  /** Tries until one try succeeds; rethrows the last failure once the next try would start past `timeoutMs`, or after close. */
  async connect(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let delay = this.#initialDelay;
    for (;;) {
      try {
        await this.options.attempt();
        return;
      } catch (error) {
        if (this.#closed || Date.now() + delay > deadline) throw error;
        this.emit({ type: 'reconnect_failed', error: error as Error, retryInMs: delay });
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = this.#next(delay);
      }
    }
  }

  /** The connection is usable: `connected` (once per outage) and no more background tries. */
  markUp(): void {
    if (this.#up || this.#closed) return;
    this.#up = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.emit({ type: 'connected' });
  }

  /** The connection is lost or does not answer: `disconnected` if it was up, and tries in the background. */
  markDown(error?: Error): void {
    if (this.#closed) return;
    const wasUp = this.#up;
    this.#up = false;
    if (wasUp) this.emit({ type: 'disconnected', ...(error ? { error } : {}) });
    if (!this.#retryTimer) this.#scheduleRetry(this.#initialDelay);
  }

  /** No more tries; `isUp` is false from now on. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
  }

  #scheduleRetry(delay: number): void {
    this.#retryTimer = setTimeout(() => {
      this.options.attempt().catch((error: Error) => {
        if (this.#closed || this.#up) return;
        const next = this.#next(delay);
        this.emit({ type: 'reconnect_failed', error, retryInMs: next });
        this.#scheduleRetry(next);
      });
    }, delay);
    this.#retryTimer.unref();
  }

  get #initialDelay(): number {
    return this.options.initialDelayMs ?? 200;
  }

  #next(delay: number): number {
    return Math.min(delay * 2, this.options.maxDelayMs ?? 5_000);
  }
}
