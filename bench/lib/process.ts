import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { measuredNode } from './node';

export interface NodeProcess {
  child: ChildProcess;
  /** performance.now() of the bench process just before exec. */
  startedAt: number;
  /** Resolves with the first JSON log line whose msg is `msg` (and when it was read, performance.now()). */
  waitForLog(msg: string, timeoutMs?: number): Promise<{ line: Record<string, unknown>; at: number }>;
  /** Resident set size in bytes, from /proc. */
  rssBytes(): number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves on exit. */
  stop(graceMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

/**
 * Starts `node <args>` (the node of BENCH_NODE, see measuredNode; or `options.program`, e.g. `docker run …`) and follows its JSON log lines (one per line on stdout, as pino writes them).
 *
 * @example
 * const publish = startNode(['dist/publish.mjs'], { PORT: '3001' });
 * await publish.waitForLog('listening');
 * await publish.stop();
 */
export function startNode(args: readonly string[], env: Record<string, string>, options: { cwd?: string; program?: string } = {}): NodeProcess {
  const startedAt = performance.now();
  const child = spawn(options.program ?? measuredNode().path, [...args], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const seen: { line: Record<string, unknown>; at: number }[] = [];
  const watchers: { msg: string; resolve: (entry: { line: Record<string, unknown>; at: number }) => void }[] = [];
  let stderr = '';
  createInterface({ input: child.stdout! }).on('line', (text) => {
    if (!text.startsWith('{')) return;
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    const entry = { line, at: performance.now() };
    seen.push(entry);
    for (const watcher of watchers.filter((w) => w.msg === line['msg'])) watcher.resolve(entry);
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  return {
    child,
    startedAt,
    exited,
    waitForLog(msg, timeoutMs = 30_000) {
      const already = seen.find((entry) => entry.line['msg'] === msg);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${msg}" log line within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
        watchers.push({ msg, resolve: (entry) => (clearTimeout(timer), resolve(entry)) });
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`process exited (${code}) before logging "${msg}"; stderr: ${stderr}`));
        });
      });
    },
    rssBytes() {
      return readRssBytes(child.pid!);
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** VmRSS of a process in bytes. */
export function readRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}
