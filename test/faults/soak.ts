/**
 * `npm run soak`: the long run the fault suite is too short for. Starts the real publish function and
 * real consumer processes on a prefix and schema of their own, POSTs --messages events (default
 * 100,000) over HTTP while SIGKILLing consumers now and then (restarting them, as a ReplicaSet
 * would), and checks at the end that every accepted event was stored once and had its effect once:
 *
 *   store-message   → rows in `messages`  = distinct ids = accepted
 *   the effects fixture (one row per handler run, no unique key) → rows = distinct ids = accepted
 *   every queue and dead-letter queue empty
 *
 * Options: --messages N  --clients N (concurrent HTTP clients, 32)  --consumers N (replicas of each
 * consumer, 2)  --kills N (SIGKILLs, 4)  --broker rabbitmq|sqs  --keep (leave schema and queues).
 * Exits 0 when everything adds up, 1 otherwise. Not part of `npm test` (its file name is not *.test.ts); it lives
 * beside the fault suite because it runs on the same fixtures and harness.
 */
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { type BrokerWithAdmin, queueSpecOf } from '@qfn/shared/platform';
import { commandLine, usageError } from '@qfn/tooling/command-line';
import storeMessage from '@qfn/store-message';
import { effectsTable } from '../fixtures/effects';
import { faultEnv, faultFunction } from './fixtures/fault-function';
import { freePort } from './support';
import { brokerHarnesses } from '../support/brokers';
import { createTestDatabase } from '../support/database';
import { uniqueName } from '../support/names';
import { type FunctionProcess, startFunctionProcess } from '../support/process';

const usage = `Usage: npm run soak -- [--messages N] [--clients N] [--consumers N] [--kills N] [--broker rabbitmq|sqs] [--keep]

  --messages N    events to POST (default 100000)
  --clients N     concurrent HTTP clients (32)
  --consumers N   replicas of each consumer (2)
  --kills N       SIGKILLs of consumers along the way (4)
  --broker <b>    rabbitmq (default) or sqs
  --keep          leave the schema and queues for inspection`;
const { values } = commandLine(usage, {
  messages: { type: 'string', default: '100000' },
  clients: { type: 'string', default: '32' },
  consumers: { type: 'string', default: '2' },
  kills: { type: 'string', default: '4' },
  broker: { type: 'string', default: 'rabbitmq' },
  keep: { type: 'boolean', default: false },
});
const total = Number(values.messages);
const clients = Number(values.clients);
const replicas = Number(values.consumers);
const kills = Number(values.kills);
const harness = brokerHarnesses.find((h) => h.kind === values.broker);
if (!harness || ![total, clients, replicas, kills].every((n) => Number.isInteger(n) && n >= 0) || total < 1 || clients < 1 || replicas < 1) {
  usageError(usage, 'every number must be a whole number (messages, clients and consumers at least 1), --broker rabbitmq or sqs');
}

const entries = {
  publish: fileURLToPath(new URL('../../functions/publish/src/main.ts', import.meta.url)),
  'store-message': fileURLToPath(new URL('../../functions/store-message/src/main.ts', import.meta.url)),
  effects: fileURLToPath(new URL('./fixtures/fault-main.ts', import.meta.url)),
};
const effectsName = 'soak-effects';
const log = (text: string) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${text}`);

await harness.setUp();
const prefix = uniqueName('soak');
const database = await createTestDatabase(prefix, 4);
await database.db.execute(effectsTable);
const broker: BrokerWithAdmin = harness.create(prefix, `${prefix}-soak`);
await broker.connect();
const specs = [queueSpecOf(storeMessage), queueSpecOf(faultFunction(faultEnv.parse({ FIXTURE_NAME: effectsName })))];
for (const spec of specs) await broker.provision(spec);

const env = { ...harness.env(prefix), DATABASE_SCHEMA: prefix, LOG_LEVEL: 'warn' };
const port = await freePort();
const processes: FunctionProcess[] = [];
const start = (entry: string, extra: Record<string, string> = {}) => {
  const started = startFunctionProcess(entry, { ...env, ...extra });
  processes.push(started);
  return started;
};
const consumers: FunctionProcess[] = [];
const startConsumer = (slot: number) => {
  consumers[slot] = slot % 2 === 0 ? start(entries['store-message']) : start(entries.effects, { FIXTURE_NAME: effectsName });
};

const publisher = start(entries.publish, { PORT: String(port), LOG_LEVEL: 'info' });
await publisher.waitForLog('listening', 60_000);
for (let slot = 0; slot < replicas * 2; slot++) startConsumer(slot);
log(`prefix ${prefix}: publish on :${port}, ${replicas} store-message and ${replicas} effects replicas; ${total} messages from ${clients} clients`);

const accepted: string[] = [];
let refused = 0;
let next = 0;
const started = performance.now();
const client = async () => {
  while (next < total) {
    const n = next++;
    for (;;) {
      const response = await fetch(`http://127.0.0.1:${port}/message/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `${prefix}-${n}` },
        body: JSON.stringify({ ts: '19941114', sender: `soak-${n % 97}`, messageAttributes: { n: String(n) }, sent_from_ip: '10.0.0.1', priority: n % 10 }),
      }).catch(() => undefined);
      if (response?.status === 202) {
        accepted.push(((await response.json()) as { id: string }).id);
        break;
      }
      refused++;
      await response?.body?.cancel();
      await sleep(50); // the same Idempotency-Key makes the retry safe
    }
  }
};

// SIGKILL a random consumer at evenly spread points of the run, and start a new one in its place.
const killer = (async () => {
  for (let k = 1; k <= kills; k++) {
    while (accepted.length < (total * k) / (kills + 1)) await sleep(100);
    const slot = Math.floor(Math.random() * consumers.length);
    consumers[slot]!.child.kill('SIGKILL');
    await consumers[slot]!.exited;
    log(`SIGKILLed consumer ${slot} at ${accepted.length} accepted; restarting it`);
    startConsumer(slot);
  }
})();

const progress = setInterval(() => log(`${accepted.length} accepted, ${refused} refused and retried`), 10_000);
await Promise.all(Array.from({ length: clients }, client));
await killer;
const publishSeconds = (performance.now() - started) / 1000;
log(`published ${accepted.length} in ${publishSeconds.toFixed(1)} s (${Math.round(accepted.length / publishSeconds)} req/s); waiting for the consumers`);

const counts = async () => {
  const [stored] = (await database.db.execute(sql`select count(*)::int as rows, count(distinct id)::int as ids from messages`)) as unknown as {
    rows: number;
    ids: number;
  }[];
  const [effects] = (await database.db.execute(sql`select count(*)::int as rows, count(distinct event_id)::int as ids from effects`)) as unknown as {
    rows: number;
    ids: number;
  }[];
  return { stored: stored!, effects: effects! };
};
const deadline = Date.now() + 15 * 60_000;
let last = await counts();
while ((last.stored.rows < accepted.length || last.effects.rows < accepted.length) && Date.now() < deadline) {
  await sleep(1_000);
  last = await counts();
}
clearInterval(progress);
const totalSeconds = (performance.now() - started) / 1000;

const storedIds = new Set(((await database.db.execute(sql`select id from messages`)) as unknown as { id: string }[]).map((r) => r.id));
const effectIds = new Set(((await database.db.execute(sql`select event_id from effects`)) as unknown as { event_id: string }[]).map((r) => r.event_id));
const missingStored = accepted.filter((id) => !storedIds.has(id)).length;
const missingEffects = accepted.filter((id) => !effectIds.has(id)).length;
const depthsNow = () =>
  Promise.all(
    specs.map(async (spec) => ({ name: spec.name, ...(await broker.queueDepth(spec)), deadLetters: (await broker.listDeadLetters(spec, 100)).length })),
  );
const drained = (list: Awaited<ReturnType<typeof depthsNow>>) => list.every((d) => d.ready + d.inFlight + d.delayed === 0 && d.deadLetters === 0);
// The management API's statistics lag a few seconds behind the queues.
let depths = await depthsNow();
for (const until = Date.now() + 30_000; !drained(depths) && Date.now() < until; depths = await depthsNow()) await sleep(1_000);

const report = {
  accepted: accepted.length,
  distinctAccepted: new Set(accepted).size,
  refusedAndRetried: refused,
  kills,
  stored: last.stored,
  effects: last.effects,
  missingStored,
  missingEffects,
  queues: depths,
  publishReqPerSecond: Math.round(accepted.length / publishSeconds),
  endToEndMessagesPerSecond: Math.round(accepted.length / totalSeconds),
  totalSeconds: Math.round(totalSeconds),
};
console.log(JSON.stringify(report, null, 2));
const ok =
  accepted.length === total &&
  report.distinctAccepted === total &&
  last.stored.rows === total &&
  last.stored.ids === total &&
  last.effects.rows === total &&
  last.effects.ids === total &&
  missingStored === 0 &&
  missingEffects === 0 &&
  drained(depths);

for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
await Promise.all(processes.map((p) => p.exited));
await broker.close();
if (!values.keep) {
  await harness.cleanup(prefix);
  await database.drop();
} else {
  await database.close();
  log(`kept schema and queues of prefix ${prefix}`);
}
await harness.tearDown();
log(ok ? 'PASS: every accepted message stored once and processed once; queues and DLQs empty' : 'FAIL: see the report above');
process.exit(ok ? 0 : 1);
