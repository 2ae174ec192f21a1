import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, startEmbeddedSqs, type EmbeddedService } from './index';

describe('embedded Postgres (PGlite over the wire protocol)', () => {
  let server: EmbeddedService;
  let url: string;
  const clients: postgres.Sql[] = [];
  const client = (max: number) => {
    const sql = postgres(url, { max, onnotice: () => {} });
    clients.push(sql);
    return sql;
  };

  beforeAll(async () => {
    server = await startEmbeddedPostgres({ port: 0, maxConnections: 40 });
    url = `postgres://postgres@127.0.0.1:${server.port}/postgres`;
    await client(1)`create table rows (who text not null, n int not null)`;
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.map((sql) => sql.end({ timeout: 1 })));
    await server?.stop();
  });

  it('keeps the extended-protocol sequences of many connections apart (pglite-socket 0.2.17 alone mixes them up)', async () => {
    const sql = client(8);
    // Stock pglite-socket fails this with "portal \"\" does not exist" (electric-sql/pglite#1046).
    const work = Array.from({ length: 30 }, (_, i) => [
      sql.begin(async (tx) => {
        await tx`insert into rows ${tx(Array.from({ length: 100 }, (_, n) => ({ who: `batch${i}`, n })))}`;
        const [row] = await tx`select count(*)::int as c from rows where who = ${`batch${i}`}`;
        return row!.c as number;
      }),
      sql`select ${i}::int as n, ${`q${i}`}::text as label, repeat('x', ${i % 7}) as pad`.then(([row]) => row),
    ]).flat();
    const results = await Promise.all(work);
    for (let i = 0; i < 30; i++) {
      expect(results[2 * i]).toBe(100);
      expect(results[2 * i + 1]).toEqual({ n: i, label: `q${i}`, pad: 'x'.repeat(i % 7) });
    }
  });

  it('runs concurrent transactions one at a time, each seeing only its own writes', async () => {
    const sql = client(6);
    const counts = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        sql.begin(async (tx) => {
          await tx`insert into rows ${tx(Array.from({ length: 5 }, (_, n) => ({ who: `tx${i}`, n })))}`;
          await new Promise((resolve) => setTimeout(resolve, 5));
          const [row] = await tx`select count(*)::int as c from rows where who = ${`tx${i}`}`;
          return row!.c as number;
        }),
      ),
    );
    expect(counts).toEqual(Array(12).fill(5));
  });

  it('rolls back and frees the session when a connection goes away inside a transaction', async () => {
    const doomed = postgres(url, { max: 1, onnotice: () => {} });
    const reserved = await doomed.reserve();
    await reserved`begin`;
    await reserved`insert into rows (who, n) values ('doomed', 1)`;
    const other = client(1);
    const waiting = other`select count(*)::int as c from rows where who = 'doomed'`;
    await new Promise((resolve) => setTimeout(resolve, 100));
    await doomed.end({ timeout: 0 });
    const [row] = await waiting;
    expect(row!.c).toBe(0);
  });

  it('keeps serving after a statement fails', async () => {
    const sql = client(4);
    const outcomes = await Promise.allSettled([sql`select 1 / 0`, sql`select 2 as n`, sql`select nope from rows`, sql`select 3 as n`]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect(await sql`select 4 as n`).toEqual([{ n: 4 }]);
  });
});

describe('embedded SQS emulator', () => {
  it('answers the SQS JSON protocol and stops', async () => {
    const sqs = await startEmbeddedSqs(0);
    try {
      const response = await fetch(`http://127.0.0.1:${sqs.port}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ListQueues' },
        body: '{}',
      });
      expect(response.status).toBe(200);
    } finally {
      await sqs.stop();
    }
  });
});
