import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

// `node --import tsx` runs the entry in this one process; the tsx CLI would put a parent in front of
// it that cannot pass on SIGKILL, leaving the real process running after a test "killed" it.
const tsxLoader = fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url));

export interface FunctionProcess {
  child: ChildProcess;
  /** Every JSON log line the process wrote so far. */
  logs: Record<string, unknown>[];
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Resolves when the process logged a line with this `msg`. */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** Runs a function's entry point as a real OS process, the way its container does. */
export function startFunctionProcess(entry: string, env: Record<string, string>): FunctionProcess {
  const child = spawn(process.execPath, ['--import', pathToFileURL(tsxLoader).href, entry], {
    env: { ...process.env, HEALTH_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { child, ...followJsonLogs(child) };
}

/** Collects a process's JSON log lines from its piped stdout (and its stderr, when piped, for error messages). */
export function followJsonLogs(child: ChildProcess): Omit<FunctionProcess, 'child'> {
  const logs: Record<string, unknown>[] = [];
  const watchers: { msg: string; resolve: (line: Record<string, unknown>) => void }[] = [];
  let buffered = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const text of lines) {
      try {
        const line = JSON.parse(text) as Record<string, unknown>;
        logs.push(line);
        for (const watcher of watchers.filter((w) => w.msg === line['msg'])) watcher.resolve(line);
      } catch {
        /* not a log line */
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    logs,
    exited,
    waitForLog: (msg, timeoutMs = 20_000) => {
      const seen = logs.find((line) => line['msg'] === msg);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${msg}" log within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`)), timeoutMs);
        watchers.push({ msg, resolve: (line) => (clearTimeout(timer), resolve(line)) });
        exited.then((code) => reject(new Error(`process exited with ${code} before logging "${msg}"; stderr: ${stderr.slice(-2000)}`)));
      });
    },
  };
}
