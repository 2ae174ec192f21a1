/**
 * Where a running `npm start` can be reached: it writes its addresses, the environment its replicas get
 * (broker, database, queue prefix) and its admin token to a file only this user can read, so
 * `npm run dlq`, `npm run publish:load` and the admin API work against it with no settings.
 * One file per publish port (tests run runners of their own on other ports); removed when it stops.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@qfn/tooling/paths';
import { isProcessAlive } from './process-alive';

export interface LocalEndpoints {
  pid: number;
  startedAt: string;
  publishUrl: string | null;
  statusUrl: string | null;
  consoleUrl: string | null;
  adminToken: string;
  /** The broker and database settings every replica gets (BROKER, SQS_ENDPOINT, AWS_*, AMQP_URL, DATABASE_URL, …). */
  env: Record<string, string>;
}

export const endpointsDir = join(repoRoot, 'node_modules', '.cache', 'qfn-local');
const fileOf = (port: number) => join(endpointsDir, `endpoints-${port}.json`);

/** Writes the runner's endpoints for its publish port (mode 0600: it holds the admin token). */
export function publishEndpoints(port: number, endpoints: LocalEndpoints): string {
  mkdirSync(endpointsDir, { recursive: true });
  const file = fileOf(port);
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
  chmodSync(partial, 0o600);
  renameSync(partial, file);
  return file;
}

/** Removes the file if this process wrote it. */
export function withdrawEndpoints(port: number): void {
  const file = fileOf(port);
  try {
    if ((JSON.parse(readFileSync(file, 'utf8')) as LocalEndpoints).pid === process.pid) rmSync(file, { force: true });
  } catch {
    // gone already, or someone else's
  }
}

/** Every runner alive now, with its publish port. */
export function liveRunners(): { port: number; endpoints: LocalEndpoints }[] {
  if (!existsSync(endpointsDir)) return [];
  const runners: { port: number; endpoints: LocalEndpoints }[] = [];
  for (const entry of readdirSync(endpointsDir)) {
    const port = Number(/^endpoints-(\d+)\.json$/.exec(entry)?.[1]);
    if (!port) continue;
    try {
      const endpoints = JSON.parse(readFileSync(join(endpointsDir, entry), 'utf8')) as LocalEndpoints;
      if (isProcessAlive(endpoints.pid)) runners.push({ port, endpoints });
    } catch {
      // half-written or unreadable: not a runner to talk to
    }
  }
  return runners.sort((a, b) => a.port - b.port);
}

/**
 * The running `npm start` a tool should talk to: the one on `port` (PORT, else 3000) when it runs, else
 * the only one running; undefined when none (or several, none on that port) runs.
 */
export function findLocalRunner(port = Number(process.env['PORT']) || 3000): LocalEndpoints | undefined {
  const runners = liveRunners();
  return (runners.find((runner) => runner.port === port) ?? (runners.length === 1 ? runners[0] : undefined))?.endpoints;
}

/** Broker settings in the environment mean "talk to that broker", not to a local runner. */
export function brokerConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return ['BROKER', 'AMQP_URL', 'SQS_ENDPOINT'].some((key) => Boolean(env[key]));
}
