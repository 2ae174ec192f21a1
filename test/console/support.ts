import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { freePort } from '../faults/support';
import { waitFor } from '../support/wait';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** Screenshots of every run; gitignored. */
export const artifactsDir = join(repoRoot, 'test', 'console', 'artifacts');
export const chromiumPath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export interface StartedRunner {
  port: number;
  statusPort: number;
  lines: string[];
  /** The embedded SQS emulator's and PGlite's addresses, as the runner prints them. */
  sqsEndpoint: string;
  databaseUrl: string;
  stop(): Promise<number | null>;
}

/** `npm start` with nothing configured (embedded SQS emulator and PGlite), as a user runs it; resolves once it says ready. */
export async function startRunner(env: Record<string, string>): Promise<StartedRunner> {
  const [port, statusPort] = [await freePort(), await freePort()];
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const configured of ['AMQP_URL', 'DATABASE_URL', 'BROKER', 'SQS_ENDPOINT', 'DATA_DIR', 'ADMIN_API_TOKEN_FILE']) delete childEnv[configured];
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/start.ts', '--plain', '--port', String(port), '--status-port', String(statusPort)],
    {
      cwd: repoRoot,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  createInterface({ input: child.stderr! }).on('line', (line) => lines.push(`stderr: ${line}`));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode !== null) return child.exitCode;
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  try {
    await waitFor('"[local] ready"', () => lines.some((line) => line.startsWith('[local] ready')), 90_000, 200);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${lines.slice(-30).join('\n')}`, { cause: error });
  }
  const find = (pattern: RegExp) => lines.map((line) => pattern.exec(line)?.[1]).find(Boolean);
  return {
    port,
    statusPort,
    lines,
    sqsEndpoint: find(/^\[local\] broker: sqs \(embedded emulator\) at (\S+)/) ?? '',
    databaseUrl: find(/^\[local\] database: .* at (postgres:\S+)/) ?? '',
    stop,
  };
}

/** Debian's chromium through playwright-core (its own browser download does not work here), headless, with a fresh profile. */
export async function launchBrowser(options: { colorScheme?: 'light' | 'dark' } = {}): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  const profile = mkdtempSync(join(tmpdir(), 'qfn-console-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1440, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
    timeout: 60_000,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
