import storeMessage from '@qfn/store-message';
import { line, type Figure, type FigureLine } from '../lib/figure';
import { startBenchRunner, type BenchRunner } from '../lib/local-runner';
import { seedMessage } from '../lib/messages';
import { median, sleep } from '../lib/stats';

const pollingIntervalSeconds = 1;
const goalSeconds = pollingIntervalSeconds + 0.4;
const body = JSON.stringify(seedMessage);

/** The ways a function can wake from zero, measured side by side. */
const designs = [
  {
    backend: 'rabbitmq-postgres',
    name: 'rabbitmq/management-api',
    activationOverAmqp: false,
    pushActivation: false,
    what: 'management API only (before): waits for the statistics refresh',
  },
  {
    backend: 'rabbitmq-postgres',
    name: 'rabbitmq/amqp-activation',
    activationOverAmqp: true,
    pushActivation: false,
    what: 'design (a): AMQP passive-declare activation trigger beside the management-API sizing trigger',
  },
  {
    backend: 'rabbitmq-postgres',
    name: 'rabbitmq/push-activation',
    activationOverAmqp: false,
    pushActivation: true,
    what: "design (b): the publish function's external-push scaler (StreamIsActive) beside the management-API sizing trigger",
  },
  { backend: 'embedded', name: 'sqs-emulator', activationOverAmqp: true, pushActivation: false, what: 'npm start defaults: SQS emulator + PGlite' },
] as const;
/** The push scaler's goal: half a second plus the replica's own start (exec → consuming; pod start on a cluster). */
const pushGoalSeconds = 0.5;

/**
 * First message published (over HTTP, through the publish function) while store-message has 0
 * replicas → that message stored, with the local runner scaling by KEDA's rules at pollingInterval
 * 1 s; beside the same latency with one replica already running. On RabbitMQ (the machine's broker)
 * with the management-API trigger alone, with the AMQP activation trigger (design a) and with the publish
 * function's push scaler (design b), and on the runner's embedded SQS emulator + PGlite, in one run.
 */
export const scaleFromZero: Figure = {
  name: 'scale-from-zero',
  async run(context) {
    const lines: FigureLine[] = [];
    for (const design of designs) {
      const { backend } = design;
      const app = await startBenchRunner({
        backend,
        functions: [storeMessage.name],
        scaling: {
          [storeMessage.name]: {
            minReplicaCount: 0,
            pollingInterval: pollingIntervalSeconds,
            cooldownPeriod: 1,
            activationQueueLength: 0,
            pushActivation: design.pushActivation,
            rabbitmq: { activationOverAmqp: design.activationOverAmqp },
          },
        },
      });
      try {
        const cold: number[] = [];
        const warm: number[] = [];
        const detected: number[] = [];
        const coldStarts: number[] = [];
        let scaledAt = 0;
        let readyColdStart = 0;
        app.runner.on('decision', (decision) => {
          if (decision.from === 0 && decision.to > 0) scaledAt = performance.now();
        });
        app.runner.on('replica', (event) => {
          if (event.type === 'ready' && event.function === storeMessage.name) readyColdStart = event.coldStartMs;
        });
        for (let run = 0; run < context.runs; run++) {
          await waitForReplicas(app, 0, 30_000);
          await sleep(pollingIntervalSeconds * 1000 * Math.random()); // land anywhere in the polling cycle
          const sent = performance.now();
          cold.push(await publishAndTimeStored(app));
          detected.push(scaledAt - sent);
          coldStarts.push(readyColdStart);
          // One replica is up now: the same path, warm.
          await waitForReplicas(app, 1, 10_000);
          warm.push(await publishAndTimeStored(app));
        }
        const value = median(cold) / 1000;
        const baseline = median(warm) / 1000;
        context.progress(
          `scale-from-zero ${design.name}: cold ${cold.map(Math.round).join(', ')} ms (scaled 0→1 after ${detected.map(Math.round).join(', ')} ms; ` +
            `replica exec→consuming ${coldStarts.join(', ')} ms); warm ${warm.map(Math.round).join(', ')} ms`,
        );
        const breakdown = `publish→scaled 0→1 ${Math.round(median(detected))} ms, replica exec→consuming ${Math.round(median(coldStarts))} ms`;
        const goal = design.pushActivation
          ? {
              text: `≤ ${pushGoalSeconds} s + replica start (${(pushGoalSeconds + median(coldStarts) / 1000).toFixed(2)} s)`,
              met: value <= pushGoalSeconds + median(coldStarts) / 1000,
            }
          : { text: `≤ ${goalSeconds} s`, met: value <= goalSeconds };
        lines.push(
          line({
            name: `scale-from-zero/${design.name}`,
            value,
            unit: 's',
            baseline: { value: baseline, unit: 's', what: 'the same with a replica running' },
            goal,
            note: `${breakdown}; ${design.what}`,
          }),
        );
      } finally {
        await app.stop();
      }
    }
    return lines;
  },
};

/** ms from sending the POST until the message's row exists (polled every 10 ms). */
async function publishAndTimeStored(app: BenchRunner): Promise<number> {
  const sent = performance.now();
  const response = await fetch(app.publishUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  if (response.status !== 202) throw new Error(`publish answered ${response.status}: ${await response.text()}`);
  const { id } = (await response.json()) as { id: string };
  for (;;) {
    const rows = await app.sql`select 1 from messages where id = ${id}`;
    if (rows.length > 0) return performance.now() - sent;
    if (performance.now() - sent > 60_000) throw new Error(`message ${id} not stored within 60 s`);
    await sleep(10);
  }
}

async function waitForReplicas(app: BenchRunner, count: number, timeoutMs: number): Promise<void> {
  const replicas = app.runner.replicaSet(storeMessage.name)!;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const status = replicas.status();
    const matches = count === 0 ? status.replicas.length === 0 : status.ready >= count;
    if (matches) return;
    if (performance.now() > deadline) throw new Error(`store-message did not reach ${count} replica(s) within ${timeoutMs} ms`);
    await sleep(50);
  }
}
