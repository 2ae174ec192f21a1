/**
 * `npm start`: the whole app on this machine. Broker and database are embedded (SQS emulator, PGlite)
 * unless AMQP_URL / BROKER=sqs + SQS_ENDPOINT / DATABASE_URL say otherwise; functions scale 0 → N → 0
 * by KEDA's rules from their declarations. See `npm start -- --help`.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '@qfn/shared';
import { localConfig } from '../local/config';
import { LocalRunner, StoppedWhileStartingError } from '../local/runner';
import { attachTerminalView } from '../local/status/terminal';

const usage = `Usage: npm start -- [options]

  --data-dir <dir>      keep the embedded database in <dir> across restarts (DATA_DIR)
  --port <n>            port of the publish function (PORT, default 3000)
  --status-port <n>     port of GET /_local/status and the web console /console/ (LOCAL_STATUS_PORT, default 3001)
  --functions <a,b>     run only these functions (LOCAL_FUNCTIONS)
  --runtime <mode>      bundle (default: esbuild once, fast cold starts) or tsx (LOCAL_RUNTIME)
  --plain               log lines instead of the live table (LOCAL_VIEW=plain)

Environment: AMQP_URL (use RabbitMQ), BROKER=sqs + SQS_ENDPOINT (use that SQS), DATABASE_URL (use that Postgres),
LOCAL_SCALING='{"*":{"cooldownPeriod":10}}' (override declarations' scaling locally), LOCAL_HPA_SYNC_PERIOD_SECONDS (15),
ADMIN_API_TOKEN (the console's and the dead-letter API's token; one is made for each run when unset).`;

const { values: flags } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    port: { type: 'string' },
    'status-port': { type: 'string' },
    functions: { type: 'string' },
    runtime: { type: 'string' },
    plain: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (flags.help) {
  console.log(usage);
  process.exit(0);
}
const fromFlags: Record<string, string | undefined> = {
  DATA_DIR: flags['data-dir'],
  PORT: flags.port,
  LOCAL_STATUS_PORT: flags['status-port'],
  LOCAL_FUNCTIONS: flags.functions,
  LOCAL_RUNTIME: flags.runtime,
  LOCAL_VIEW: flags.plain ? 'plain' : undefined,
};
for (const [key, value] of Object.entries(fromFlags)) if (value !== undefined) process.env[key] = value;

const config = loadConfig(localConfig);
const runner = new LocalRunner({ config });
const live = config.LOCAL_VIEW === 'live' || (config.LOCAL_VIEW === 'auto' && Boolean(process.stdout.isTTY));
const view = attachTerminalView(runner, { mode: live ? 'live' : 'plain' });

// Node's warnings (the AWS SDK's Node-version notice, …) as one line through the view, not raw stderr.
process.removeAllListeners('warning');
process.on('warning', (warning) => view.print(`[local] ${warning.name}: ${warning.message.split('\n')[0]}`));

let signals = 0;
const shutdown = (signal: NodeJS.Signals) => {
  if (++signals > 1) {
    view.print(`[local] ${signal} again: killing every process without waiting`);
    view.close();
    runner.kill();
    process.exit(130);
  }
  view.print(`[local] ${signal}: draining replicas (press Ctrl+C again to kill them)`);
  void runner.stop().then(() => {
    view.close();
    process.exit(0);
  });
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
process.on('SIGHUP', shutdown);
process.on('exit', () => runner.kill());

try {
  await runner.start();
} catch (error) {
  if (error instanceof StoppedWhileStartingError) await new Promise(() => {}); // the signal handler exits
  view.close();
  console.error(`[local] could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
view.print(`[local] ready: POST ${runner.publishUrl}/message/publish · GET ${runner.statusUrl}`);
view.print(`[local] console: ${runner.consoleUrl}`);
view.print('[local] try: npm run publish:load -- --count 2000 --rate 500');
