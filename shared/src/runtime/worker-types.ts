import type { Database } from '../db/client';
import type { FunctionDeclaration } from '../function/define';
import type { Logger } from '../log/index';
import type { Envelope } from '../messages/envelope';
import type { Broker, Delivery } from '../queue/types';
import type { Random } from './failure-policy';

/** The worker's lifecycle events: telemetry and logging subscribe to them; the worker itself logs nothing. */
export interface WorkerEvents {
  started: [];
  message_received: [{ delivery: Delivery; envelope?: Envelope }];
  message_processed: [{ envelope: Envelope; attempt: number; durationMs: number; duplicate: boolean }];
  message_retried: [{ envelope?: Envelope; attempt: number; delayMs: number; reason: string }];
  message_dead_lettered: [{ envelope?: Envelope; attempt: number; reason: string }];
  message_released: [{ delivery: Delivery }];
  /** The broker could not take a settlement; the message will be redelivered. */
  settle_failed: [{ error: unknown }];
  /** An event id arrived again with another payload: the first one's effect stands, this one is skipped. */
  message_conflict: [{ envelope: Envelope; digest: string; firstDigest: string | null; total: number }];
  /** A redelivered message runs alone, in case it is what crashed the last consumer. */
  message_isolated: [{ envelope: Envelope; starts: number }];
  /** The database is unreachable or refuses connections: the messages wait (no attempt counted) and are tried again. */
  database_unavailable: [{ error: unknown; retryInMs: number; messages: number }];
  stopped: [{ drained: boolean; released: number }];
}

/** Runs a message's processing inside its trace (telemetry provides one; the default just runs it). */
export interface ProcessingTracer {
  trace<T>(items: { headers: Readonly<Record<string, string>>; eventId: string; attempt: number }[], work: () => Promise<T>): Promise<T>;
}

export interface WorkerOptions {
  declaration: FunctionDeclaration;
  tracer?: ProcessingTracer;
  broker: Broker;
  db: Database;
  log: Logger;
  /** Overrides the declaration's concurrency (e.g. from FUNCTION_CONCURRENCY). */
  concurrency?: number;
  /** How long a partial batch may wait for more deliveries when no batch is running (batch handlers). */
  batchLingerMs?: number;
  /**
   * A redelivered message whose earlier isolated runs never finished this many times (the process
   * died each time) is dead-lettered instead of run again. Default 2: one death may be bad luck (a
   * node lost, a kill), two in a row while it ran alone are the message.
   */
  crashLimit?: number;
  /** Called when a handler wrote an outbox row (ctx.publish): the relay looks once the transaction committed. */
  onOutboxWrite?: () => void;
  /** The random source of the retry jitter (tests make it deterministic). */
  random?: Random;
}

export interface StopOptions {
  /**
   * Milliseconds to wait for in-flight messages (the grace period); defaults to the declaration's.
   * At its end the handlers' `ctx.signal` is aborted and what they still hold goes back to the queue.
   */
  timeoutMs?: number;
}

export interface StopResult {
  /** Every in-flight message settled within the grace period. */
  drained: boolean;
}

/** Where a worker is in its lifecycle: `idle` → `starting` → `running` → `stopping` → `stopped`. */
export type WorkerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';
