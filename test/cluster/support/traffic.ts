import { randomUUID } from 'node:crypto';
import postgres from 'postgres';

/** The machine's Postgres as its superuser over loopback (the test reads what the pods wrote; it writes nothing). */
export const adminDatabaseUrl = 'postgres://postgres@127.0.0.1:5432/qfn_cluster';

export interface Published {
  ids: string[];
  /** Wall-clock ms when the first request was sent. */
  startedAt: number;
  seconds: number;
}

/**
 * POSTs `count` messages to the publish Service (its ClusterIP, through kube-proxy), `concurrency` at a time. A 503 or a
 * failed connection is retried with the same Idempotency-Key (the README's retry rule), at most 5 times; anything else
 * fails the run.
 */
export async function publishMessages(url: string, token: string, count: number, concurrency = 32, sender = 'cluster-test'): Promise<Published> {
  const ids: string[] = [];
  const startedAt = Date.now();
  let next = 0;
  async function worker(): Promise<void> {
    while (next < count) {
      const index = next++;
      const key = randomUUID();
      const body = JSON.stringify({ ts: new Date().toISOString(), sender, messageAttributes: { n: String(index) }, sent_from_ip: '192.0.2.1', priority: 1 });
      for (let attempt = 1; ; attempt++) {
        let response: Response;
        try {
          response = await fetch(`${url}/message/publish`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
            body,
            signal: AbortSignal.timeout(15_000),
          });
        } catch (error) {
          // Refused while kube-proxy catches up with a replaced publish pod: the same key again is safe.
          if (attempt >= 5) throw error;
          await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
          continue;
        }
        const text = await response.text();
        if (response.status === 202) {
          ids.push((JSON.parse(text) as { id: string }).id);
          break;
        }
        if (response.status !== 503 || attempt >= 5) throw new Error(`POST /message/publish answered ${response.status}: ${text}`);
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { ids, startedAt, seconds: (Date.now() - startedAt) / 1000 };
}

export interface StoredCounts {
  rows: number;
  distinctRows: number;
  inboxRows: number;
}

export type Database = ReturnType<typeof postgres>;

export function openDatabase(): Database {
  return postgres(adminDatabaseUrl, { max: 2, onnotice: () => {} });
}

/** How many of `ids` store-message has stored, and how many inbox rows (one per committed effect) it has for them. */
export async function storedCounts(db: Database, schema: string, ids: string[]): Promise<StoredCounts> {
  const [messages] = await db.unsafe<{ rows: string; distinct_rows: string }[]>(
    `select count(*) as rows, count(distinct id) as distinct_rows from "${schema}".messages where id = any($1)`,
    [ids],
  );
  const [inbox] = await db.unsafe<{ rows: string }[]>(
    `select count(*) as rows from "${schema}".inbox where function_name = 'store-message' and event_id = any($1)`,
    [ids],
  );
  return { rows: Number(messages?.rows), distinctRows: Number(messages?.distinct_rows), inboxRows: Number(inbox?.rows) };
}

/** accepted_at and stored_at of one message (the publish function's and store-message's clocks: this machine's). */
export async function messageTimes(db: Database, schema: string, id: string): Promise<{ acceptedAt: number; storedAt: number } | undefined> {
  const [row] = await db.unsafe<{ accepted_at: Date; stored_at: Date }[]>(
    `select accepted_at::timestamptz as accepted_at, stored_at::timestamptz as stored_at from "${schema}".messages where id = $1`,
    [id],
  );
  return row ? { acceptedAt: new Date(row.accepted_at).getTime(), storedAt: new Date(row.stored_at).getTime() } : undefined;
}
