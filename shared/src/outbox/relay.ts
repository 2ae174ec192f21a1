import { EventEmitter } from 'node:events';
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client';
import { isDatabaseUnavailable } from '../db/errors';
import { outbox } from '../db/schema';
import { BrokerUnavailableError, UnroutableError, type Broker } from '../queue/types';

export interface OutboxRelayOptions {
  db: Database;
  broker: Broker;
  /** Sends this source's rows as soon as they are due (a function's replica: its own name). */
  source?: string;
  /**
   * Also adopts rows of any source once they are this old: rows a dead replica wrote and never sent
   * (the recovery path, run by the publish function). Unset: only `source`'s rows.
   */
  adoptAfterMs?: number;
  /** Rows taken per transaction (default 200). */
  batchSize?: number;
  /** Looks for due rows this often without being woken (default 1000 ms). */
  pollIntervalMs?: number;
}

export interface OutboxRelayEvents {
  /** Rows published (broker confirmed) and marked sent; `lagMs`: the oldest one's wait past its due time. */
  sent: [{ count: number; lagMs: number }];
  /** Rows the broker refused (no subscriber) or could not take; they are tried again after a backoff. */
  send_failed: [{ count: number; reason: string }];
  /** The database or the broker is away; the relay retries with backoff. */
  paused: [{ error: unknown; retryInMs: number }];
}

type DueRow = {
  id: string;
  type: string;
  body: string;
  headers: Record<string, string>;
  lag_ms: number;
  attempts: number;
};

/**
 * Publishes committed outbox rows: takes due rows with FOR UPDATE SKIP LOCKED (so relays in several
 * replicas share the table, and a dead replica's transaction lets its rows go), publishes them with
 * broker confirms, and marks them sent in the same transaction. A crash between the confirm and the
 * commit republishes the same event ids, which the subscribers' inboxes absorb.
 *
 * Lifecycle: `new OutboxRelay(options)` → `start()` → `wake()` after commits that wrote rows → `stop()`.
 */
export class OutboxRelay extends EventEmitter<OutboxRelayEvents> {
  readonly #batchSize: number;
  readonly #pollIntervalMs: number;
  #running: Promise<void> | undefined;
  #stopping = false;
  #woken = false;
  #wakeUp: (() => void) | undefined;

  constructor(private readonly options: OutboxRelayOptions) {
    super();
    this.#batchSize = options.batchSize ?? 200;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  /** Rows were committed: look now instead of at the next poll. */
  wake(): void {
    this.#woken = true;
    this.#wakeUp?.();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wakeUp?.();
    await this.#running;
  }

  async #loop(): Promise<void> {
    let backoffMs = 250;
    while (!this.#stopping) {
      try {
        this.#woken = false;
        const sent = await this.drainOnce();
        backoffMs = 250;
        if (sent >= this.#batchSize) continue;
        if (!this.#woken) await this.#sleep(this.#pollIntervalMs);
      } catch (error) {
        this.emit('paused', { error, retryInMs: backoffMs });
        await this.#sleep(backoffMs);
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeUp = () => {
        this.#wakeUp = undefined;
        done();
      };
    });
  }

  #scope(): SQL {
    const { source, adoptAfterMs } = this.options;
    if (source === undefined && adoptAfterMs === undefined) return sql`true`;
    const own = source === undefined ? sql`false` : sql`source = ${source}`;
    const adopted = adoptAfterMs === undefined ? sql`false` : sql`created_at < now() - make_interval(secs => ${adoptAfterMs / 1000})`;
    return sql`(${own} or ${adopted})`;
  }

  /** Publishes one batch of due rows; returns how many were taken (sent or not). */
  async drainOnce(): Promise<number> {
    return this.options.db.transaction(async (tx) => {
      const rows = await tx.execute<DueRow>(sql`
        select id, type, body, headers, attempts,
               (extract(epoch from clock_timestamp() - deliver_at) * 1000)::float8 as lag_ms
        from ${outbox}
        where sent_at is null and deliver_at <= now() and ${this.#scope()}
        order by deliver_at
        limit ${this.#batchSize}
        for update skip locked`);
      const due = Array.from(rows);
      if (due.length === 0) return 0;
      const results = await Promise.allSettled(
        due.map((row) => this.options.broker.publish({ id: row.id, type: row.type, body: Buffer.from(row.body), headers: row.headers })),
      );
      // The broker is away: roll back, leaving every row as it was (confirmed ones are sent again, and absorbed).
      const unavailable = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && r.reason instanceof BrokerUnavailableError);
      if (unavailable) throw unavailable.reason;
      const sent: string[] = [];
      const failed = new Map<string, { reason: string; attempts: number }>();
      results.forEach((result, i) => {
        const row = due[i]!;
        if (result.status === 'fulfilled') sent.push(row.id);
        else failed.set(row.id, { reason: describe(result.reason), attempts: row.attempts });
      });
      if (sent.length > 0) {
        await tx.execute(sql`update ${outbox} set sent_at = now() where id in (select json_array_elements_text(${JSON.stringify(sent)}::json))`);
        this.emit('sent', { count: sent.length, lagMs: Math.max(0, ...due.filter((r) => sent.includes(r.id)).map((r) => Number(r.lag_ms))) });
      }
      if (failed.size > 0) {
        // Backoff per row: 1 s, 2 s, 4 s … at most 5 minutes; the error is kept for operators.
        const updates = [...failed].map(([id, { reason, attempts }]) => ({ id, reason, delay: Math.min(300, 2 ** attempts) }));
        await tx.execute(sql`
          update ${outbox} o set attempts = o.attempts + 1, last_error = u.reason, deliver_at = now() + make_interval(secs => u.delay)
          from json_to_recordset(${JSON.stringify(updates)}::json) as u(id text, reason text, delay float8)
          where o.id = u.id`);
        const first = [...failed.values()][0]!.reason;
        this.emit('send_failed', { count: failed.size, reason: first });
      }
      return due.length;
    });
  }

  /** Deletes rows sent more than `olderThanMs` ago; returns how many. */
  async deleteSent(olderThanMs: number): Promise<number> {
    const deleted = await this.options.db.execute<{ id: string }>(
      sql`delete from ${outbox} where sent_at < now() - make_interval(secs => ${olderThanMs / 1000}) returning id`,
    );
    return Array.from(deleted).length;
  }
}

function describe(error: unknown): string {
  if (error instanceof UnroutableError) return `unroutable: ${error.message}`;
  if (isDatabaseUnavailable(error)) return `database unavailable: ${(error as Error).message}`;
  return error instanceof Error ? error.message : String(error);
}

export interface OutboxStats {
  /** Rows due and not sent yet. */
  pending: number;
  /** Rows waiting for a future delivery time. */
  scheduled: number;
  /** Seconds the oldest due row has waited past its due time (0 when none). */
  lagSeconds: number;
}

export async function outboxStats(db: Database): Promise<OutboxStats> {
  const [row] = await db.execute<{ pending: string; scheduled: string; lag: number | null }>(sql`
    select count(*) filter (where deliver_at <= now()) as pending,
           count(*) filter (where deliver_at > now()) as scheduled,
           extract(epoch from now() - min(deliver_at) filter (where deliver_at <= now()))::float8 as lag
    from ${outbox} where sent_at is null`);
  return { pending: Number(row?.pending ?? 0), scheduled: Number(row?.scheduled ?? 0), lagSeconds: Math.max(0, Number(row?.lag ?? 0)) };
}
