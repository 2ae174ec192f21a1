import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { measuredNode } from './node';

const worker = fileURLToPath(new URL('../workers/raw-amqp.ts', import.meta.url));

export interface RawAmqpResult {
  messages: number;
  seconds: number;
  perSecond: number;
  /** CPU µs of the raw process per message while it measured. */
  cpuUsPerMessage: number;
}

/**
 * Runs bench/workers/raw-amqp.ts in a process of its own: plain amqplib, the reference figures.
 *
 * @example
 * await runRawAmqp(env, ['fill', `${prefix}.events`, 'message.published', '30000', '1000']);
 */
export function runRawAmqp(env: Record<string, string>, args: string[]): Promise<RawAmqpResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(measuredNode().path, ['--import', 'tsx', worker, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`raw-amqp ${args[0]} exited with ${code}`));
      resolve(JSON.parse(output.trim().split('\n').at(-1)!) as RawAmqpResult);
    });
  });
}
