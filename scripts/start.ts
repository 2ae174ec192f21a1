/**
 * `npm start`: the whole app on this machine. Broker and database are embedded (SQS emulator, PGlite)
 * unless AMQP_URL / BROKER=sqs + SQS_ENDPOINT / DATABASE_URL say otherwise; functions scale 0 → N → 0
 * by KEDA's rules from their declarations. See `npm start -- --help`.
 */
import { relative } from 'node:path';
import { loadConfig } from '@qfn/shared';
import { localConfig } from '../local/config';
import { migrationsBehindSchema, writeDerivedFiles } from './generate';
import { commandLine } from '@qfn/tooling/command-line';
import { publishEndpoints, withdrawEndpoints } from '../local/endpoints';
import { LocalRunner, StoppedWhileStartingError } from '../local/runner';
import { attachTerminalView } from '../local/status/terminal';
import { watchFunctions, type Watcher } from '../local/watch/index';
import { loadFunctions } from '@qfn/tooling/functions';

const usage = `Usage: npm start -- [options]

  --data-dir <dir>      keep the embedded database in <dir> across restarts (DATA_DIR)
  --port <n>            port of the publish function (PORT, default 3000)
  --status-port <n>     port of GET /_local/status and the web console /console/ (LOCAL_STATUS_PORT, default 3001)
  --functions <a,b>     run only these functions (LOCAL_FUNCTIONS)
  --runtime <mode>      bundle (default: esbuild once, fast cold starts) or tsx (LOCAL_RUNTIME)
  --plain               log lines instead of the live table (LOCAL_VIEW=plain)
  --watch               rebuild a function whose code changes and roll its replicas (SIGTERM drain, then the new
                        code); a changed declaration re-derives its scaling live

Environment: AMQP_URL (use RabbitMQ), BROKER=sqs + SQS_ENDPOINT (use that SQS), DATABASE_URL (use that Postgres),
LOCAL_SCALING='{"*":{"cooldownPeriod":10}}' (override declarations' scaling locally), LOCAL_HPA_SYNC_PERIOD_SECONDS (15),
ADMIN_API_TOKEN (the console's and the dead-letter API's token; one is made for each run when unset).`;

const { values: flags } = commandLine(usage, {
  'data-dir': { type: 'string' },
  port: { type: 'string' },
  'status-port': { type: 'string' },
  functions: { type: 'string' },
  runtime: { type: 'string' },
  plain: { type: 'boolean' },
  watch: { type: 'boolean', default: false },
});
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

// What derives from the declarations is regenerated here, so a changed declaration is never run stale;
// migrations are the user's to generate (they are committed SQL).
const regenerated = await writeDerivedFiles();
if (regenerated.length > 0) console.log(`[local] regenerated from the declarations: ${regenerated.join(', ')}`);
const migrationsBehind = migrationsBehindSchema();
if (migrationsBehind) {
  console.error(`[local] the SQL migrations are behind the tables in */src/schema.ts (would ${migrationsBehind}).\nRun npm run db:generate, then npm start.`);
  process.exit(1);
}
const runner = new LocalRunner({ config });
const live = config.LOCAL_VIEW === 'live' || (config.LOCAL_VIEW === 'auto' && Boolean(process.stdout.isTTY));
const view = attachTerminalView(runner, { mode: live ? 'live' : 'plain' });

// Node's and dependencies' warnings (the AWS SDK's Node-version notice, …) whole, once each, through the view.
const warned = new Set<string>();
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  const text = `${warning.name}: ${warning.message.trim()}`;
  if (warned.has(text)) return;
  warned.add(text);
  for (const line of text.split('\n')) view.print(`[local] ${line}`);
});

let watcher: Watcher | undefined;
let signals = 0;
let firstSignalAt = 0;
const shutdown = (signal: NodeJS.Signals) => {
  // One Ctrl+C reaches this process more than once: from the terminal's process group and again
  // forwarded by npm and tsx. Copies within a second are the same press.
  if (signals > 0 && Date.now() - firstSignalAt < 1000) return;
  firstSignalAt ||= Date.now();
  if (++signals > 1) {
    view.print(`[local] ${signal} again: killing every process without waiting`);
    view.close();
    runner.kill();
    process.exit(130);
  }
  view.print(`[local] ${signal}: draining replicas (press Ctrl+C again to kill them)`);
  void (watcher?.close() ?? Promise.resolve())
    .then(() => runner.stop())
    .then(() => {
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
const endpointsFile = publishEndpoints(config.PORT, {
  pid: process.pid,
  startedAt: new Date().toISOString(),
  publishUrl: runner.publishUrl,
  statusUrl: runner.statusUrl,
  consoleUrl: runner.consoleUrl,
  adminToken: runner.adminToken ?? '',
  env: { ...runner.env, QUEUE_PREFIX: config.QUEUE_PREFIX, DATABASE_SCHEMA: config.DATABASE_SCHEMA },
});
process.on('exit', () => withdrawEndpoints(config.PORT));
view.print(`[local] ready: POST ${runner.publishUrl}/message/publish · GET ${runner.statusUrl}`);
view.print(`[local] console: ${runner.consoleUrl}`);
view.print(`[local] npm run dlq, npm run publish:load and the admin API (Bearer token) find this runner through ${relative(process.cwd(), endpointsFile)}`);
view.print('[local] try: npm run publish:load -- --count 20000 --rate 1000   (20 s of load: 0 → N, back to 0 ~60 s after)');
if (flags.watch && signals === 0) {
  const running = new Set(runner.functionNames);
  watcher = watchFunctions({
    runner,
    functions: (await loadFunctions()).filter((pkg) => running.has(pkg.declaration.name)),
    runtime: config.LOCAL_RUNTIME,
    notice: (line) => view.print(line),
  });
}
