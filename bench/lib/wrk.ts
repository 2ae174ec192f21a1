import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const postScript = fileURLToPath(new URL('../post.lua', import.meta.url));

export interface WrkResult {
  requestsPerSecond: number;
  p99Ms: number;
  requests: number;
  /** Answers that were not 2xx/3xx, plus socket errors: a run with any is not a valid figure. */
  failures: number;
}

/**
 * `wrk -t1 -c<connections> --latency` POSTing the seeds' 322-byte message (bench/post.lua).
 *
 * @example
 * const { requestsPerSecond, p99Ms } = await runWrk('http://127.0.0.1:3000/message/publish', { connections: 100, seconds: 5 });
 */
export async function runWrk(url: string, options: { connections: number; seconds: number; threads?: number }): Promise<WrkResult> {
  const args = ['-t', String(options.threads ?? 1), '-c', String(options.connections), '-d', `${options.seconds}s`, '--latency', '-s', postScript, url];
  try {
    const { stdout } = await run('wrk', args, { timeout: (options.seconds + 30) * 1000 });
    return parseWrkOutput(stdout);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error('wrk is not installed: apt-get install wrk (the HTTP figures need it)', { cause: error });
    throw error;
  }
}

export function parseWrkOutput(output: string): WrkResult {
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(output);
  const total = /(\d+) requests in/.exec(output);
  if (!rate || !p99 || !total) throw new Error(`unexpected wrk output:\n${output}`);
  const toMs = { us: 0.001, ms: 1, s: 1000 } as const;
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return {
    requestsPerSecond: Number(rate[1]),
    p99Ms: Number(p99[1]) * toMs[p99[2] as keyof typeof toMs],
    requests: Number(total[1]),
    failures: non2xx + socketErrors,
  };
}
