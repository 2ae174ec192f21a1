import * as crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import { z } from 'zod';
import type { Database } from '../db/client';
import type { FunctionDeclaration, HandlerContext } from '../function/define';
import type { Logger } from '../log/index';
import type { Envelope } from '../messages/envelope';
import { decodeDelivery } from '../events/cloudevents';
import { schemaFor } from '../events/subscriptions';
import { outboxPublisher } from '../outbox/publisher';
import type { Delivery, QueueSpec, Subscription } from '../queue/types';
import { BatchCollector } from './batch-collector';
import { DatabaseWait, gaveUp } from './database-wait';
import { describeError, ShutdownDeadlineError, WorkerLifecycleError } from './errors';
import { decideFailure } from './failure-policy';
import { HandlerSignals, type HandlerCall } from './handler-signals';
import { InFlight } from './in-flight';
import { claimInbox, forgetStart, recordStart, unclaimInbox } from './inbox';
import type { StopOptions, StopResult, WorkerEvents, WorkerOptions, WorkerState } from './worker-types';

export type { ProcessingTracer, StopOptions, StopResult, WorkerEvents, WorkerOptions, WorkerState } from './worker-types';

interface Decoded {
  delivery: Delivery;
  envelope: Envelope;
  event: unknown;
}

/**
 * How long a partial batch waits for more deliveries when no batch is running: at a few hundred
 * messages per second a replica then commits a transaction of several rows instead of one or two,
 * which halves its CPU and Postgres' per message, for at most this much added latency.
 */
export const defaultBatchLingerMs = 20;

// crypto.hash (Node ≥ 20.12) skips the Hash object: ~40 % less per message than createHash for inputs this small.
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string }).hash;

/** Digest of what an event says (type and data; not its time, which a republish under the same id renews). */
export function payloadDigest(envelope: Envelope): string {
  const text = `${envelope.type}\n${JSON.stringify(envelope.data)}`;
  return (oneShotHash ? oneShotHash('sha256', text, 'base64url') : crypto.createHash('sha256').update(text).digest('base64url')).slice(0, 22);
}

/** Converts a function declaration into the broker's view of its queue. */
export function queueSpecOf(declaration: FunctionDeclaration): QueueSpec {
  return {
    name: declaration.name,
    subscribes: declaration.subscribes,
    retry: declaration.retry,
    visibilityTimeoutSeconds: declaration.visibilityTimeoutSeconds,
  };
}

/**
 * Runs one function on one replica: receives its messages, validates them, runs the handler in a
 * transaction with the inbox row, acknowledges after commit, retries with backoff and dead-letters.
 *
 * Lifecycle: `new FunctionWorker(options)` → `start()` (once; a second call throws a
 * WorkerLifecycleError) → `stop()` (stop receiving, finish or hand back in-flight work; memoised: every
 * call returns the first call's promise). Telemetry and logging subscribe to its events; the worker itself logs nothing.
 */
export class FunctionWorker extends EventEmitter<WorkerEvents> {
  readonly #declaration: FunctionDeclaration;
  readonly #spec: QueueSpec;
  readonly #concurrency: number;
  #subscription: Subscription | undefined;
  #state: WorkerState = 'idle';
  #starting: Promise<void> | undefined;
  #stopped: Promise<StopResult> | undefined;
  #stopping = false;
  readonly #collector: BatchCollector<Delivery>;
  readonly #signals: HandlerSignals;
  /** Redelivered messages, each to run alone once nothing else runs. */
  readonly #suspects: Delivery[] = [];
  #isolating = false;
  readonly #crashLimit: number;
  readonly #database: DatabaseWait;
  readonly #inFlight = new InFlight();
  #conflicts = 0;
  #flushScheduled = false;
  #activeBatches = 0;
  #lingerTimer: NodeJS.Timeout | undefined;
  /** Batches processed at once: a batch handler's transactions each hold one of the pool's connections. */
  readonly #maxBatches: number;

  constructor(private readonly options: WorkerOptions) {
    super();
    this.#declaration = options.declaration;
    this.#spec = queueSpecOf(options.declaration);
    this.#concurrency = options.concurrency ?? options.declaration.concurrency;
    this.#maxBatches = options.declaration.handleBatch ? options.declaration.poolSize : Number.POSITIVE_INFINITY;
    this.#collector = new BatchCollector({
      batchSize: options.declaration.handleBatch ? options.declaration.batchSize : 1,
      lingerMs: options.declaration.handleBatch ? (options.batchLingerMs ?? defaultBatchLingerMs) : 0,
    });
    this.#signals = new HandlerSignals(options.declaration.handlerTimeoutMs);
    this.#crashLimit = options.crashLimit ?? 2;
    this.#database = new DatabaseWait({ stopping: () => this.#stopping });
  }

  get state(): WorkerState {
    return this.#state;
  }

  get inFlight(): number {
    return this.#inFlight.count;
  }

  get spec(): QueueSpec {
    return this.#spec;
  }

  /**
   * Starts consuming (the broker declares the function's queues first). A worker starts once: a
   * second call, or one after `stop()`, throws a WorkerLifecycleError (after a failed start, it may be called again).
   */
  start(): Promise<void> {
    if (this.#state !== 'idle') {
      const why = this.#state === 'starting' || this.#state === 'running' ? 'it was started already' : 'it was stopped; create a new worker';
      return Promise.reject(new WorkerLifecycleError(`cannot start the worker of ${this.#declaration.name}: ${why}`));
    }
    this.#state = 'starting';
    this.#starting = this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    try {
      // consume() declares the function's queues first (a replica's first start creates them).
      this.#subscription = await this.options.broker.consume(this.#spec, (delivery) => this.#receive(delivery), {
        prefetch: this.#concurrency,
      });
    } catch (error) {
      if (this.#state === 'starting') this.#state = 'idle';
      throw error;
    }
    // stop() came while starting: it stops the subscription once this returns.
    if (this.#stopping) return;
    this.#state = 'running';
    this.emit('started');
  }

  /**
   * Stops receiving, hands back the messages not started, waits for in-flight ones until the grace
   * period ends, then aborts the handlers' `ctx.signal`. Every call returns the first call's promise.
   */
  stop(options: StopOptions = {}): Promise<StopResult> {
    return (this.#stopped ??= this.#stop(options));
  }

  async #stop(options: StopOptions): Promise<StopResult> {
    this.#stopping = true;
    this.#state = 'stopping';
    clearTimeout(this.#lingerTimer);
    this.#database.wakeAll();
    await this.#starting?.catch(() => {});
    await this.#subscription?.stop();
    const released = this.#releaseWaiting();
    const timeoutMs = options.timeoutMs ?? this.#declaration.shutdownGracePeriodSeconds * 1000;
    const drained = await this.#inFlight.whenIdle(timeoutMs);
    // Handlers still running should give up: what they hold goes back to the queue.
    if (!drained) this.#signals.abortAll(new ShutdownDeadlineError(timeoutMs));
    this.#state = 'stopped';
    this.emit('stopped', { drained, released });
    return { drained };
  }

  #receive(delivery: Delivery): void {
    if (this.#stopping) {
      this.#release(delivery);
      return;
    }
    if (delivery.redelivered) this.#suspects.push(delivery);
    else this.#collector.add(delivery);
    this.#scheduleFlush();
  }

  /** Deliveries arrive in bursts within one I/O turn: collect them, then process as batches. */
  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  /**
   * Starts batches while a transaction slot is free. Under load, deliveries wait here for a slot
   * rather than in the pool's queue as many small batches, so each transaction takes a full batch;
   * and a partial batch starts only when no other is running, so at a moderate rate the deliveries
   * that arrive during one transaction make up the next one instead of a transaction each.
   */
  #flush(): void {
    this.#flushScheduled = false;
    clearTimeout(this.#lingerTimer);
    this.#lingerTimer = undefined;
    if (this.#stopping || this.#isolating) return;
    // A redelivered message may be what killed the last consumer: it runs alone, once what is in
    // progress has settled, so a crash it causes takes no other message with it.
    if (this.#suspects.length > 0) {
      if (this.#activeBatches === 0) this.#startIsolated(this.#suspects.shift()!);
      return;
    }
    while (!this.#stopping && this.#activeBatches < this.#maxBatches) {
      const step = this.#collector.next(this.#activeBatches);
      if (!step) break;
      if ('lingerMs' in step) {
        this.#lingerTimer = setTimeout(() => this.#flush(), step.lingerMs);
        break;
      }
      const batch = step.take;
      this.#activeBatches++;
      this.#track(
        this.#processBatch(batch).finally(() => {
          this.#activeBatches--;
          if (this.#collector.size > 0 || this.#suspects.length > 0) this.#scheduleFlush();
        }),
        batch.length,
      );
    }
  }

  #startIsolated(delivery: Delivery): void {
    this.#isolating = true;
    this.#activeBatches++;
    this.#track(
      this.#processIsolated(delivery).finally(() => {
        this.#isolating = false;
        this.#activeBatches--;
        this.#scheduleFlush();
      }),
    );
  }

  /**
   * Records the start durably before running a redelivered message alone: a message whose earlier
   * isolated starts never finished killed its consumer each time, and is dead-lettered instead.
   * A redelivery of a message that never started (it waited in the prefetch window) has no row.
   */
  async #processIsolated(delivery: Delivery): Promise<void> {
    const item = await this.#decode(delivery);
    if (item === undefined) return;
    const id = item.envelope.id;
    const name = this.#declaration.name;
    const starts = await this.#withDatabase([delivery], () => recordStart(this.options.db, name, id));
    if (starts === gaveUp) return;
    const crashes = starts - 1;
    if (crashes >= this.#crashLimit) {
      await this.#deadLetter(
        delivery,
        item.envelope,
        `crashed the consumer: the process died ${crashes} times while running this message alone (it exits, runs out of memory or is killed); not run again`,
      );
    } else {
      this.emit('message_isolated', { envelope: item.envelope, starts });
      await this.#processDecoded([item]);
    }
    await forgetStart(this.options.db, name, id).catch(() => {
      /* a row left behind only makes a later redelivery of this id look like one more start */
    });
  }

  /**
   * Runs database work, waiting (no attempt counted) while the database is away; if the worker
   * stops meanwhile, the messages go back to the broker.
   */
  async #withDatabase<T>(deliveries: Delivery[], work: () => Promise<T>): Promise<T | typeof gaveUp> {
    const outcome = await this.#database.run(work, (error, retryInMs) => this.emit('database_unavailable', { error, retryInMs, messages: deliveries.length }));
    if (outcome === gaveUp) for (const delivery of deliveries) this.#release(delivery);
    return outcome;
  }

  #track(work: Promise<void>, messages = 1): void {
    this.#inFlight.track(work, messages);
  }

  async #processBatch(deliveries: Delivery[]): Promise<void> {
    const decoded: Decoded[] = [];
    for (const delivery of deliveries) {
      const item = this.#decode(delivery);
      if (item instanceof Promise) await item;
      else decoded.push(item);
    }
    if (decoded.length > 0) await this.#processDecoded(decoded);
  }

  #processDecoded(decoded: Decoded[]): Promise<void> {
    const tracer = this.options.tracer;
    if (!tracer) return this.#processTraced(decoded);
    const tracing = decoded.map(({ delivery, envelope }) => ({ headers: delivery.headers, eventId: envelope.id, attempt: delivery.attempt }));
    return tracer.trace(tracing, () => this.#processTraced(decoded));
  }

  async #processTraced(decoded: Decoded[]): Promise<void> {
    const started = performance.now();
    try {
      const outcome = await this.#withDatabase(
        decoded.map((item) => item.delivery),
        () => this.#runInTransaction(decoded),
      );
      if (outcome === gaveUp) return;
      const { failed, ran } = outcome;
      const durationMs = performance.now() - started;
      for (const item of decoded) {
        const failure = failed.get(item.envelope.id);
        if (failure !== undefined) {
          await this.#fail(item, failure);
          continue;
        }
        await this.#settle(item.delivery.ack());
        this.emit('message_processed', {
          envelope: item.envelope,
          attempt: item.delivery.attempt,
          durationMs,
          duplicate: !ran.has(item),
        });
      }
    } catch (error) {
      if (decoded.length === 1) {
        await this.#fail(decoded[0]!, error);
        return;
      }
      // One bad message must not fail its neighbours: retry each in a transaction of its own.
      for (const item of decoded) await this.#processDecoded([item]);
    }
  }

  /** The decoded message, or (when it cannot be decoded or validated) its dead-lettering; synchronous for a good one, as most are. */
  #decode(delivery: Delivery): Decoded | Promise<undefined> {
    let envelope: Envelope;
    try {
      envelope = decodeDelivery(delivery.body, delivery.headers);
    } catch (error) {
      this.emit('message_received', { delivery });
      return this.#deadLetter(delivery, undefined, describeError(error)).then(() => undefined);
    }
    this.emit('message_received', { delivery, envelope });
    const parsed = schemaFor(this.#declaration, envelope.type).safeParse(envelope.data);
    if (!parsed.success) return this.#deadLetter(delivery, envelope, `schema validation failed: ${z.prettifyError(parsed.error)}`).then(() => undefined);
    return { delivery, envelope, event: parsed.data };
  }

  /**
   * The handler's writes and the inbox rows commit together; ids already in the inbox (or earlier in
   * the batch) are skipped, and reported as conflicts when their payload differs from the first one's.
   */
  async #runInTransaction(items: Decoded[]): Promise<{ failed: Map<string, unknown>; ran: Set<Decoded> }> {
    const declaration = this.#declaration;
    const name = declaration.name;
    const failed = new Map<string, unknown>();
    const ran = new Set<Decoded>();
    let conflicts: { item: Decoded; digest: string; firstDigest: string }[] = [];
    await this.options.db.transaction(async (tx) => {
      const db = tx as unknown as Database;
      const claim = await claimInbox(db, name, items, (item) => ({ id: item.envelope.id, digest: payloadDigest(item.envelope) }));
      conflicts = claim.conflicts;
      const work = claim.fresh;
      for (const item of work) ran.add(item);
      if (work.length === 0) return;
      // One signal per handler call (the whole batch for a batch handler): aborted at its timeout or the shutdown deadline.
      await this.#signals.run(async (call) => {
        const contexts = work.map((item) => ({ event: item.event, ctx: this.#context(item, db, call) }));
        if (declaration.handler) {
          for (const { event, ctx } of contexts) await declaration.handler(event, ctx);
          return;
        }
        const result = await declaration.handleBatch(contexts, db);
        if (result?.failed?.length) {
          for (const { eventId, error } of result.failed) failed.set(eventId, error);
          await unclaimInbox(db, name, [...failed.keys()]);
        }
      });
    });
    for (const { item, digest, firstDigest } of conflicts) {
      this.#conflicts++;
      this.emit('message_conflict', { envelope: item.envelope, digest, firstDigest, total: this.#conflicts });
    }
    return { failed, ran };
  }

  #context(item: Decoded, db: Database, call: HandlerCall): HandlerContext {
    return new MessageContext(db, item.envelope, item.delivery.attempt, call, this.#declaration.name, this.options);
  }

  async #fail(item: Decoded, error: unknown): Promise<void> {
    const { delivery, envelope } = item;
    // Past the shutdown deadline a failure is most likely the abort: the message goes back, no attempt counted.
    if (this.#signals.aborted) return this.#release(delivery);
    const decision = decideFailure(error, delivery.attempt, this.#declaration.retry, this.options.random);
    if (decision.action === 'dead-letter') return this.#deadLetter(delivery, envelope, decision.reason);
    const { delayMs, reason } = decision;
    if (await this.#settle(delivery.retry(delayMs, reason))) {
      this.emit('message_retried', { envelope, attempt: delivery.attempt, delayMs, reason });
    }
  }

  async #deadLetter(delivery: Delivery, envelope: Envelope | undefined, reason: string): Promise<void> {
    if (await this.#settle(delivery.deadLetter(reason))) {
      this.emit('message_dead_lettered', { ...(envelope ? { envelope } : {}), attempt: delivery.attempt, reason });
    }
  }

  async #settle(settlement: Promise<void>): Promise<boolean> {
    try {
      await settlement;
      return true;
    } catch (error) {
      this.emit('settle_failed', { error });
      return false;
    }
  }

  #release(delivery: Delivery): void {
    this.#track(
      this.#settle(delivery.release()).then(() => {
        this.emit('message_released', { delivery });
      }),
    );
  }

  #releaseWaiting(): number {
    const waiting = [...this.#collector.drain(), ...this.#suspects.splice(0)];
    for (const delivery of waiting) this.#release(delivery);
    return waiting.length;
  }
}

/** What a handler gets beside its event (a class: one per message, where an object literal's getters would be three closures). */
class MessageContext implements HandlerContext {
  readonly eventId: string;
  readonly eventType: string;
  readonly eventTime: string;
  readonly #call: HandlerCall;
  readonly #source: string;
  readonly #options: Pick<WorkerOptions, 'log' | 'onOutboxWrite'>;
  #log: Logger | undefined;
  #publish: HandlerContext['publish'] | undefined;

  constructor(
    readonly db: Database,
    envelope: Envelope,
    readonly attempt: number,
    call: HandlerCall,
    source: string,
    options: Pick<WorkerOptions, 'log' | 'onOutboxWrite'>,
  ) {
    this.eventId = envelope.id;
    this.eventType = envelope.type;
    this.eventTime = envelope.time;
    this.#call = call;
    this.#source = source;
    this.#options = options;
  }

  get signal(): AbortSignal {
    return this.#call.signal;
  }

  // Made on first use, like the logger: most handlers publish nothing.
  get publish(): HandlerContext['publish'] {
    return (this.#publish ??= outboxPublisher(this.db, this.eventId, this.#source, this.#options.onOutboxWrite));
  }

  // A child logger costs more than storing the row; most handlers never log.
  get log(): Logger {
    return (this.#log ??= this.#options.log.child({ eventId: this.eventId }));
  }
}
