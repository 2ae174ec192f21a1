import { Socket } from 'node:net';
import amqp, { type ChannelModel } from 'amqplib';
import { ConnectionMonitor } from '../connection-monitor';
import type { BrokerEventListener } from '../types';
import { coalesceSocketWrites } from './coalesce-writes';

export interface ReconnectOptions {
  url: string;
  /** First delay after a lost connection; doubles up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** How long the first connect() keeps trying before it fails. */
  connectTimeoutMs?: number;
  /**
   * How long one connection attempt (TCP, AMQP handshake and setup steps) may take before it is
   * abandoned and its socket destroyed: a peer that accepts TCP and never answers must not wedge
   * every later reconnect.
   */
  attemptTimeoutMs?: number;
  heartbeatSeconds?: number;
  clientName?: string;
}

type SetupStep = (connection: ChannelModel) => Promise<void>;

/**
 * One long-lived AMQP connection that comes back by itself after it is lost; setup steps
 * (channels, topology, consumers) run again on every new connection.
 */
export class ReconnectingConnection {
  #connection: ChannelModel | undefined;
  readonly #monitor: ConnectionMonitor;
  #setupSteps: SetupStep[] = [];
  #connecting: Promise<void> | undefined;
  #blocked: string | undefined;

  constructor(private readonly options: ReconnectOptions) {
    this.#monitor = new ConnectionMonitor({
      attempt: () => this.#open(),
      ...(options.initialDelayMs !== undefined ? { initialDelayMs: options.initialDelayMs } : {}),
      ...(options.maxDelayMs !== undefined ? { maxDelayMs: options.maxDelayMs } : {}),
    });
  }

  get current(): ChannelModel | undefined {
    return this.#connection;
  }

  on(listener: BrokerEventListener): void {
    this.#monitor.on(listener);
  }

  off(listener: BrokerEventListener): void {
    this.#monitor.off(listener);
  }

  /** Runs `step` now if connected, and again after every reconnect. */
  async addSetup(step: SetupStep): Promise<void> {
    this.#setupSteps.push(step);
    if (this.#connection) await step(this.#connection);
  }

  removeSetup(step: SetupStep): void {
    this.#setupSteps = this.#setupSteps.filter((s) => s !== step);
  }

  /** Tries for connectTimeoutMs (default 30 s) before it fails. */
  connect(): Promise<void> {
    return this.#monitor.connect(this.options.connectTimeoutMs ?? 30_000);
  }

  async close(): Promise<void> {
    this.#monitor.close();
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection) await connection.close().catch(() => {});
  }

  /** One connection attempt at a time; it always settles within attemptTimeoutMs. */
  async #open(): Promise<void> {
    if (this.#connecting) return this.#connecting;
    this.#connecting = this.#attempt();
    try {
      await this.#connecting;
    } finally {
      this.#connecting = undefined;
    }
  }

  /** Connects and runs the setup steps, or gives up after attemptTimeoutMs, destroying whatever it opened. */
  #attempt(): Promise<void> {
    const timeoutMs = this.options.attemptTimeoutMs ?? 10_000;
    let opened: ChannelModel | undefined;
    let abandoned = false;
    const abandon = (connection: ChannelModel) => {
      connection.removeAllListeners('close');
      connection.on('error', () => {});
      socketOf(connection)?.destroy();
    };
    const attempt = this.#connectAndSetUp(timeoutMs, (connection) => {
      opened = connection;
      return !abandoned;
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abandoned = true;
        if (opened) abandon(opened);
        reject(new Error(`connection attempt timed out after ${timeoutMs} ms (no answer to the AMQP handshake or setup)`));
      }, timeoutMs);
      timer.unref();
    });
    // A connection not adopted (the attempt finished after the deadline, or close() came first) goes at once.
    attempt.then(
      (connection) => connection && abandon(connection),
      () => {},
    );
    return Promise.race([attempt.then(() => undefined), deadline]).finally(() => clearTimeout(timer));
  }

  /** Resolves with the connection when it was not adopted (too late, or closing), else undefined. */
  async #connectAndSetUp(timeoutMs: number, onOpened: (connection: ChannelModel) => boolean): Promise<ChannelModel | undefined> {
    const url = new URL(this.options.url);
    if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', String(this.options.heartbeatSeconds ?? 10));
    const connection = await amqp.connect(url.toString(), {
      clientProperties: { connection_name: this.options.clientName ?? 'qfn' },
      // During the handshake Nagle's algorithm holds the client's second frame until the peer's
      // delayed ACK: connecting took ~45 ms instead of ~2 ms here.
      noDelay: true,
      // Idle socket during the handshake: amqplib destroys the socket and fails the connect.
      timeout: timeoutMs,
    });
    if (!onOpened(connection)) return connection;
    coalesceSocketWrites(connection);
    // Nagle back on once connected: it merges the writes of successive event-loop turns (~10 % more
    // confirmed publishes per second here); a turn's frames already leave in one write.
    socketOf(connection)?.setNoDelay(false);
    connection.on('error', () => {}); // 'close' follows and carries the reconnect
    connection.on('close', (error?: Error) => this.#lost(connection, error));
    connection.on('blocked', (reason: string) => this.#setBlocked(connection, reason));
    connection.on('unblocked', () => this.#setBlocked(connection, undefined));
    try {
      for (const step of this.#setupSteps) await step(connection);
    } catch (error) {
      connection.removeAllListeners('close');
      await connection.close().catch(() => {});
      throw error;
    }
    if (!onOpened(connection) || this.#monitor.isClosed) return connection;
    this.#connection = connection;
    this.#monitor.markUp();
    return undefined;
  }

  /** Why the broker blocks this connection's publishes (memory or disk alarm), or undefined. */
  get blockedReason(): string | undefined {
    return this.#blocked;
  }

  #setBlocked(connection: ChannelModel, reason: string | undefined): void {
    if (this.#connection !== connection || this.#blocked === reason) return;
    this.#blocked = reason;
    this.#monitor.emit(reason === undefined ? { type: 'unblocked' } : { type: 'blocked', reason });
  }

  #lost(connection: ChannelModel, error?: Error): void {
    if (this.#connection !== connection) return;
    this.#connection = undefined;
    if (this.#blocked !== undefined) {
      this.#blocked = undefined;
      this.#monitor.emit({ type: 'unblocked' });
    }
    this.#monitor.markDown(error);
  }
}

/** amqplib's socket under a connection (not part of its API: undefined if that changes). */
function socketOf(connection: ChannelModel): Socket | undefined {
  const stream = (connection as unknown as { connection?: { stream?: unknown } }).connection?.stream;
  return stream instanceof Socket ? stream : undefined;
}
