import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { useConsumingBroker } from '../../../test/support/consuming';
import { uniqueName } from '../../../test/support/names';
import { waitFor } from '../../../test/support/wait';
import { defineFunction } from '../function/define';
import { createLogger } from '../log/index';
import { encodeEnvelope, uuidv7 } from '../messages/envelope';
import { FunctionWorker } from './worker';

const message = { ts: '19941114', sender: 'haimeng', messageAttributes: {}, sent_from_ip: '10.0.0.1', priority: 1 };
const messageSchema = z.strictObject({
  ts: z.string(),
  sender: z.string(),
  messageAttributes: z.record(z.string(), z.string()),
  sent_from_ip: z.string(),
  priority: z.int(),
});

describe('FunctionWorker batches (RabbitMQ + Postgres)', () => {
  const prefix = uniqueName('batches');
  const fixture = useConsumingBroker({ prefix });

  it('forms full batches from a backlog, runs at most poolSize transactions at once, logs lazily per event', async () => {
    const { database, broker } = fixture;
    const sizes: number[] = [];
    let running = 0;
    let mostAtOnce = 0;
    const declaration = defineFunction({
      name: 'batches',
      subscribes: ['batch.test'],
      schema: messageSchema,
      concurrency: 500,
      batchSize: 50,
      poolSize: 2,
      handleBatch: async (items) => {
        sizes.push(items.length);
        mostAtOnce = Math.max(mostAtOnce, ++running);
        await new Promise((resolve) => setTimeout(resolve, 20));
        items[0]!.ctx.log.info('first of the batch');
        running--;
      },
    });
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({
      name: 'batches',
      destination: new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk))), done()) }),
    });
    const worker = new FunctionWorker({ declaration, broker, db: database.db, log });
    await broker.provision(worker.spec);
    const total = 400;
    for (let i = 0; i < total; i++) {
      const id = uuidv7();
      await broker.publish({ id, type: 'batch.test', body: encodeEnvelope({ id, type: 'batch.test', time: new Date().toISOString(), data: message }) });
    }
    let processed = 0;
    worker.on('message_processed', () => processed++);
    await worker.start();
    await waitFor('every message', () => processed === total);
    await worker.stop({ timeoutMs: 2_000 });

    expect(mostAtOnce).toBeLessThanOrEqual(2);
    // A backlog of 400 is taken as (nearly) full batches of 50, not in whatever one socket read held.
    expect(sizes.length).toBeLessThanOrEqual(10);
    expect(sizes.reduce((sum, n) => sum + n, 0)).toBe(total);
    const [inboxRows] = (await database.db.execute(sql`select count(*)::int as n from inbox where function_name = 'batches'`)) as unknown as { n: number }[];
    expect(inboxRows!.n).toBe(total);
    expect(lines.filter((line) => line['msg'] === 'first of the batch')).toHaveLength(sizes.length);
    expect(lines.every((line) => line['msg'] !== 'first of the batch' || typeof line['eventId'] === 'string')).toBe(true);
  });

  it('lets a partial batch wait batchLingerMs for more when idle, so two messages 50 ms apart share a transaction', async () => {
    const { database, broker } = fixture;
    for (const lingerMs of [0, 300]) {
      const sizes: number[] = [];
      const declaration = defineFunction({
        name: `linger${lingerMs}`,
        subscribes: [`linger${lingerMs}.test`],
        schema: messageSchema,
        batchSize: 50,
        handleBatch: async (items) => void sizes.push(items.length),
      });
      const worker = new FunctionWorker({
        declaration,
        broker,
        db: database.db,
        log: createLogger({ name: 'linger', level: 'silent' }),
        batchLingerMs: lingerMs,
      });
      let processed = 0;
      worker.on('message_processed', () => processed++);
      await worker.start();
      for (let i = 0; i < 2; i++) {
        const id = uuidv7();
        const type = `linger${lingerMs}.test`;
        await broker.publish({ id, type, body: encodeEnvelope({ id, type, time: new Date().toISOString(), data: message }) });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await waitFor('both messages', () => processed === 2);
      await worker.stop({ timeoutMs: 2_000 });
      expect(sizes).toEqual(lingerMs === 0 ? [1, 1] : [2]);
    }
  });
});
