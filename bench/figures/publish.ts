import { loadFunctions } from '@qfn/tooling/functions';
import { openQueueControl } from '../lib/amqp';
import { imageBundleVariant } from '../lib/bundles';
import { createBenchEnvironment } from '../lib/environment';
import { line, type Figure } from '../lib/figure';
import { startOtlpSink } from '../lib/otlp-sink';
import { runRawAmqp } from '../lib/raw-amqp';
import { freePort } from '../lib/ports';
import { startNode, type NodeProcess } from '../lib/process';
import { measureCpu, pidsNamed } from '../lib/cpu';
import { median, roundForDisplay } from '../lib/stats';
import { runWrk, type WrkResult } from '../lib/wrk';

const connections = 100;

/** Telemetry compiled out: what "off" is compared with, so "off costs nothing" is a measurement. */
const noTelemetry = `export async function startProcessTelemetry() {
  return { enabled: false, broker: (b) => b, sql: (s) => s, tracer: () => undefined, observeWorker: () => {}, coldStart: () => {}, shutdown: async () => {} };
}`;

interface Server {
  key: 'hono' | 'off' | 'compiled-out' | 'on';
  url: string;
  process: NodeProcess;
  runs: WrkResult[];
  /** CPU µs per request of this server's process and of RabbitMQ, per run. */
  cpu: { server: number; rabbitmq: number }[];
}

/**
 * POST /message/publish at 100 connections (wrk), confirmed durable publishes, beside a bare Hono handler
 * parsing the same JSON; telemetry off vs compiled out vs on (exporting to a local OTLP sink); and the raw
 * amqplib confirmed-publish rate to the same quorum queue, the broker's ceiling on this machine.
 */
export const publish: Figure = {
  name: 'publish',
  async run(context) {
    const bundles = await context.bundles();
    const untelemetered = await imageBundleVariant('publish', `${context.outDir}/no-telemetry`, { 'shared/src/telemetry/process.ts': noTelemetry });
    const environment = await createBenchEnvironment('publish');
    const sink = await startOtlpSink();
    const queues = await openQueueControl();
    const servers: Server[] = [];
    try {
      const functions = await loadFunctions();
      await environment.provision(...functions.map((fn) => fn.declaration));
      const subscriber = functions.find((fn) => fn.declaration.subscribes.includes('message.published'))!.declaration.name;
      const queue = `${environment.prefix}.${subscriber}`;

      const start = async (key: Server['key'], file: string, env: Record<string, string>) => {
        const port = await freePort();
        const args = [...(key === 'off' ? context.profileArgs('publish') : []), file];
        const child = startNode(args, { ...env, PORT: String(port) });
        await child.waitForLog('listening');
        servers.push({ key, url: `http://127.0.0.1:${port}/message/publish`, process: child, runs: [], cpu: [] });
      };
      await start('hono', bundles.get('bare-hono')!.file, {});
      await start('off', bundles.get('publish')!.file, environment.env);
      await start('compiled-out', untelemetered.file, environment.env);
      await start('on', bundles.get('publish')!.file, { ...environment.env, OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint });

      for (const server of servers) await runWrk(server.url, { connections, seconds: 2 }); // JIT warm-up
      await queues.purge(queue);

      const raw: RawRun[] = [];
      for (let round = 0; round < context.runs; round++) {
        // Rotate the order so a burst of load elsewhere on the machine does not always hit the same one.
        const order = servers.map((_, i) => servers[(i + round) % servers.length]!);
        for (const server of order) {
          const { result, cpuMs } = await measureCpu({ server: server.process.child.pid!, rabbitmq: pidsNamed('beam.smp') }, () =>
            runWrk(server.url, { connections, seconds: context.seconds }),
          );
          server.runs.push(result);
          const perRequest = (ms: number) => (ms * 1000) / result.requests;
          server.cpu.push({ server: perRequest(cpuMs['server']!), rabbitmq: perRequest(cpuMs['rabbitmq']!) });
          context.progress(
            `publish ${server.key}: ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.p99Ms} ms${result.failures ? `, ${result.failures} FAILED` : ''}`,
          );
          await queues.purge(queue);
        }
        raw.push(await rawConfirmedPublishes(environment.env, `${environment.prefix}.events`, context.seconds));
        context.progress(`publish raw amqplib: ${Math.round(raw.at(-1)!.perSecond)} confirmed msg/s`);
        await queues.purge(queue);
      }

      const of = (key: Server['key']) => servers.find((s) => s.key === key)!;
      const rate = (key: Server['key']) => median(of(key).runs.map((r) => r.requestsPerSecond));
      const p99 = (key: Server['key']) => median(of(key).runs.map((r) => r.p99Ms));
      const failures = (key: Server['key']) => of(key).runs.reduce((sum, r) => sum + r.failures, 0);
      const failureNote = (key: Server['key']) => (failures(key) ? `${failures(key)} failed requests` : 'no failed requests');
      const cpu = (key: Server['key'], part: 'server' | 'rabbitmq') => Math.round(median(of(key).cpu.map((c) => c[part])));
      const cpuNote = (key: Server['key']) =>
        key === 'hono'
          ? `bare Hono ${cpu(key, 'server')} µs CPU per request`
          : `CPU per request: publish ${cpu(key, 'server')} µs, RabbitMQ ${cpu(key, 'rabbitmq')} µs`;
      const published = rate('off');
      // wrk, Node and RabbitMQ share the cores: no publish path beats a bare HTTP request and a raw confirmed
      // publish done back to back, so their serial sum is the limit (issue 19).
      const rawRate = median(raw.map((r) => r.perSecond));
      const rawCpu = (part: 'client' | 'rabbitmq') => Math.round(median(raw.map((r) => r.cpu[part])));
      const serialLimit = 1 / (1 / rate('hono') + 1 / rawRate);
      return [
        line({
          name: 'publish-serial-limit',
          value: published,
          unit: 'req/s',
          baseline: { value: serialLimit, unit: 'req/s', what: 'serial limit 1/(1/bare Hono + 1/raw confirms), same run' },
          goal: { text: 'ratio ≥ 0.9, p99 ≤ 20 ms', met: published / serialLimit >= 0.9 && p99('off') <= 20 && failures('off') === 0 },
          note:
            `bare Hono ${Math.round(rate('hono'))} req/s, raw amqplib ${Math.round(rawRate)} confirmed msg/s (${connections} in flight); publish p99 ${roundForDisplay(p99('off'))} ms; ` +
            `CPU µs per message: bare Hono ${cpu('hono', 'server')} + raw client ${rawCpu('client')} + RabbitMQ ${rawCpu('rabbitmq')} against publish ${cpu('off', 'server')} + RabbitMQ ${cpu('off', 'rabbitmq')}`,
        }),
        line({
          name: 'publish',
          value: published,
          unit: 'req/s',
          baseline: { value: rate('hono'), unit: 'req/s', what: 'bare Hono parsing the same JSON' },
          goal: { text: 'ratio ≥ 0.75', met: published / rate('hono') >= 0.75 && failures('off') === 0 },
          note: `${context.runs}×${context.seconds} s, wrk -t1 -c${connections}; ${failureNote('off')}; ${cpuNote('off')}; ${cpuNote('hono')}`,
        }),
        line({
          name: 'publish-p99',
          value: p99('off'),
          unit: 'ms',
          baseline: { value: p99('hono'), unit: 'ms', what: 'bare Hono p99' },
          goal: { text: '≤ 50 ms', met: p99('off') <= 50 },
        }),
        line({
          name: 'publish-broker-ceiling',
          value: published,
          unit: 'req/s',
          baseline: { value: rawRate, unit: 'msg/s', what: `raw amqplib confirmed publishes, ${connections} in flight` },
          note: 'what the broker confirms on this machine without HTTP',
        }),
        line({
          name: 'publish-telemetry-off',
          value: published,
          unit: 'req/s',
          baseline: { value: rate('compiled-out'), unit: 'req/s', what: 'telemetry compiled out' },
          goal: { text: 'ratio ≥ 0.95', met: published / rate('compiled-out') >= 0.95 },
        }),
        line({
          name: 'publish-telemetry-on',
          value: rate('on'),
          unit: 'req/s',
          baseline: { value: published, unit: 'req/s', what: 'telemetry off' },
          note: `OTLP/HTTP to a local sink (${sink.requests()} exports), p99 ${p99('on')} ms; ${failureNote('on')}`,
        }),
      ];
    } finally {
      for (const server of servers) await server.process.stop();
      const off = servers.find((s) => s.key === 'off');
      context.reportProfiles('publish', off?.cpu.length ? median(off.cpu.map((c) => c.server)) : undefined);
      await queues.close();
      await sink.close();
      await environment.cleanUp();
    }
  },
};

interface RawRun {
  perSecond: number;
  /** CPU µs per confirmed message of the raw process and of RabbitMQ. */
  cpu: { client: number; rabbitmq: number };
}

/** Confirmed publishes of a separate raw amqplib process, `connections` in flight: their rate and what each cost in CPU. */
async function rawConfirmedPublishes(env: Record<string, string>, exchange: string, seconds: number): Promise<RawRun> {
  const { result, cpuMs } = await measureCpu({ rabbitmq: pidsNamed('beam.smp') }, () =>
    runRawAmqp(env, ['publish', exchange, 'message.published', String(seconds), String(connections)]),
  );
  return { perSecond: result.perSecond, cpu: { client: result.cpuUsPerMessage, rabbitmq: (cpuMs['rabbitmq']! * 1000) / result.messages } };
}
