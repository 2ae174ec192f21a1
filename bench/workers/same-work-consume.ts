/**
 * The consume figure's same-work baseline, written by hand with nothing of ours: what a Node team would write to
 * store every message once. amqplib consume (prefetch as store-message), JSON.parse of the body, then per batch one
 * postgres.js transaction with a multi-row insert of the messages rows and of the (function, event id) inbox rows,
 * and the acks after the commit. Batches as the worker's defaults: `batchSize` rows, a partial batch waits
 * `lingerMs` and starts only when no batch is running, at most `pool` transactions at once.
 *
 *   same-work-consume.ts <queue> <prefetch> <batchSize> <lingerMs> <pool> <functionName>
 *
 * Logs {"msg":"consuming"} once the consumer is registered; stops on SIGTERM. Needs AMQP_URL, DATABASE_URL, DATABASE_SCHEMA.
 */
import amqp, { type ConsumeMessage } from 'amqplib';
import postgres from 'postgres';

const [queue, prefetch, batchSize, lingerMs, pool, functionName] = process.argv.slice(2);
if (!functionName) {
  console.error('usage: same-work-consume.ts <queue> <prefetch> <batchSize> <lingerMs> <pool> <functionName>');
  process.exit(64);
}
const size = Number(batchSize);
const linger = Number(lingerMs);
const maxActive = Number(pool);

interface Envelope {
  id: string;
  type: string;
  time: string;
  data: { ts: string; sender: string; messageAttributes: Record<string, string>; sent_from_ip: string; priority: number };
}

const sql = postgres(process.env['DATABASE_URL']!, {
  max: maxActive,
  onnotice: () => {},
  connection: { search_path: `${process.env['DATABASE_SCHEMA']},public` },
});
const connection = await amqp.connect(process.env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672');
const channel = await connection.createChannel();
await channel.prefetch(Number(prefetch));

const waiting: ConsumeMessage[] = [];
let oldestAt = 0;
let active = 0;
let timer: NodeJS.Timeout | undefined;

async function store(batch: ConsumeMessage[]): Promise<void> {
  const envelopes = batch.map((message) => JSON.parse(message.content.toString('utf8')) as Envelope);
  const rows = envelopes.map(({ id, type, time, data }) => ({
    id,
    type,
    ts: data.ts,
    sender: data.sender,
    message_attributes: sql.json(data.messageAttributes),
    sent_from_ip: data.sent_from_ip,
    priority: data.priority,
    accepted_at: time,
  }));
  const inbox = envelopes.map(({ id }) => ({ function_name: functionName!, event_id: id }));
  await sql.begin(async (tx) => {
    await tx`insert into inbox ${tx(inbox, 'function_name', 'event_id')} on conflict do nothing`;
    await tx`insert into messages ${tx(rows, 'id', 'type', 'ts', 'sender', 'message_attributes', 'sent_from_ip', 'priority', 'accepted_at')} on conflict do nothing`;
  });
  for (const message of batch) channel.ack(message);
}

function flush(): void {
  clearTimeout(timer);
  timer = undefined;
  while (active < maxActive && waiting.length > 0) {
    if (waiting.length < size) {
      if (active > 0) return; // a partial batch waits for the running ones
      const left = linger - (performance.now() - oldestAt);
      if (left > 0) {
        timer = setTimeout(flush, left);
        return;
      }
    }
    const batch = waiting.splice(0, size);
    oldestAt = performance.now();
    active++;
    store(batch).then(
      () => {
        active--;
        flush();
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  }
}

const { consumerTag } = await channel.consume(queue!, (message) => {
  if (!message) return;
  if (waiting.length === 0) oldestAt = performance.now();
  waiting.push(message);
  flush();
});
console.log(JSON.stringify({ msg: 'consuming', queue }));

process.on('SIGTERM', () => {
  void (async () => {
    await channel.cancel(consumerTag);
    await channel.close();
    await connection.close();
    await sql.end({ timeout: 5 });
    process.exit(0);
  })();
});
