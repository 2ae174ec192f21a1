import { sql } from 'drizzle-orm';
import type { Database } from '@qfn/shared';

export interface InboxReading {
  /** Messages of the function committed since the previous reading. */
  processed: number;
  processedPerSecond: number;
  /** Acceptance → processing of those messages, from the time inside their uuidv7 event ids; null when none. */
  lagP50: number | null;
  lagP99: number | null;
}

interface Row {
  at: string | Date;
  processed: number;
  p50: number | string | null;
  p99: number | string | null;
}

/** The smallest uuidv7 of a millisecond: ids compare as text in time order. */
export function uuidv7Floor(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-0000-000000000000`;
}

const asNumber = (value: number | string | null) => (value === null ? null : Math.max(0, Math.round(Number(value))));

/**
 * Reads what each function processed since its previous reading, and how late, from the inbox rows
 * the runtime commits with every handled message: `processed_at` (the transaction's start, about when
 * processing began) minus the acceptance time that the publish function's uuidv7 event ids carry in
 * their first 48 bits. Ids of another shape count as processed but not for lag. One small query per
 * function per reading, a range of the inbox's (function, event id) key.
 *
 * @example
 * const probe = new InboxProbe(db);
 * const { processedPerSecond, lagP99 } = await probe.read('store-message');
 */
export class InboxProbe {
  readonly #since = new Map<string, Date>();

  /**
   * @param acceptedWithinMs Only messages accepted this recently are looked at: the inbox's primary key
   * (function, event id) then bounds the scan, since uuidv7 ids sort by acceptance time (a 1M-row inbox
   * costs ~200 ms a reading without it). Messages older than that when processed are not counted.
   */
  constructor(
    private readonly db: Database,
    private readonly acceptedWithinMs = 30 * 60_000,
  ) {}

  async read(functionName: string): Promise<InboxReading | undefined> {
    const since = this.#since.get(functionName);
    if (!since) {
      const [row] = (await this.db.execute(sql`select now() as at`)) as unknown as { at: string | Date }[];
      this.#since.set(functionName, new Date(row!.at));
      return undefined;
    }
    const [row] = (await this.db.execute(sql`
      with recent as (
        select case when event_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-7'
                    then extract(epoch from processed_at) * 1000 - ('x' || substr(replace(event_id, '-', ''), 1, 12))::bit(48)::bigint
               end as lag
        from inbox
        where function_name = ${functionName} and processed_at > ${since.toISOString()}::timestamptz
          and event_id >= ${uuidv7Floor(since.getTime() - this.acceptedWithinMs)}
      )
      select now() as at, count(*)::int as processed,
             percentile_cont(0.5) within group (order by lag) as p50,
             percentile_cont(0.99) within group (order by lag) as p99
      from recent`)) as unknown as Row[];
    const at = new Date(row!.at);
    this.#since.set(functionName, at);
    const seconds = Math.max(0.001, (at.getTime() - since.getTime()) / 1000);
    return { processed: row!.processed, processedPerSecond: row!.processed / seconds, lagP50: asNumber(row!.p50), lagP99: asNumber(row!.p99) };
  }
}
