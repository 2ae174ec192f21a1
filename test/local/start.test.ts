import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sendLoad } from '../../local/load/index';
import type { LocalStatus } from '../../local/runner';
import { loadFunctions } from '@qfn/tooling/functions';
import { freePort } from '../faults/support';
import { uniqueName } from '../support/names';
import { waitFor } from '../support/wait';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start', () => {
  it('brings up the embedded stack with nothing configured, scales a function from zero, and drains on Ctrl+C', async () => {
    const [port, statusPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      QUEUE_PREFIX: uniqueName('start'),
      LOCAL_SCALING: JSON.stringify({ '*': { pollingInterval: 1, cooldownPeriod: 2 } }),
    };
    for (const configured of ['AMQP_URL', 'DATABASE_URL', 'BROKER', 'SQS_ENDPOINT', 'DATA_DIR']) delete env[configured];
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts', '--plain', '--port', String(port), '--status-port', String(statusPort)], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
    createInterface({ input: child.stderr! }).on('line', (line) => lines.push(`stderr: ${line}`));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const status = async () => (await (await fetch(`http://127.0.0.1:${statusPort}/_local/status`)).json()) as LocalStatus;

    try {
      await waitFor('"[local] ready"', () => lines.some((line) => line.startsWith('[local] ready')), 60_000);
      const initial = await status();
      expect(initial.infrastructure).toMatchObject({ broker: { kind: 'sqs', embedded: true }, database: { embedded: true } });
      // Every function under functions/, each at its declared minimum (0 unless declared otherwise).
      const declared = (await loadFunctions()).map((fn) => [fn.declaration.name, fn.declaration.scaling.minReplicaCount]);
      expect(initial.functions.map((fn) => [fn.name, fn.replicas.desired])).toEqual(declared);
      await waitFor('the publish function', async () => (await status()).publish?.ready === 1, 30_000);

      const report = await sendLoad({ url: `http://127.0.0.1:${port}`, count: 20, rate: 0, concurrency: 5 });
      expect(report.accepted).toBe(20);
      const busy = await waitFor(
        '20 messages processed',
        async () => {
          const current = await status();
          return current.functions.find((fn) => fn.name === 'store-message')!.processed === 20 ? current : undefined;
        },
        30_000,
      );
      const activation = busy.scaleEvents.find((event) => event.function === 'store-message')!;
      expect(lines).toContain(`[autoscaler] store-message 0→1: depth ${activation.depth} > activation 0`);
      // A chain through the outbox: run-job emits job.completed for record-completion; the status shows the outbox drained.
      const job = await fetch(`http://127.0.0.1:${port}/events/job.checksum`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'abc', rounds: 2 }),
      });
      expect(job.status).toBe(202);
      await waitFor(
        'the job recorded by record-completion',
        async () => (await status()).functions.find((fn) => fn.name === 'record-completion')?.processed === 1,
        60_000,
      );
      // Sampled once a second: the row it sent may still count in the sample taken just before.
      const drained = await waitFor(
        'the outbox drained in the status',
        async () => {
          const { outbox } = await status();
          return outbox && outbox.pending === 0 ? outbox : undefined;
        },
        10_000,
      );
      expect(drained).toMatchObject({ pending: 0, scheduled: 0, lagSeconds: 0 });

      const pids = busy.functions.flatMap((fn) => fn.replicas.replicas.map((r) => r.pid!)).concat(busy.publish!.replicas.map((r) => r.pid!));
      expect(pids.length).toBeGreaterThanOrEqual(2);

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(pids.filter(isAlive)).toEqual([]);
      expect(lines).toContain('[local] stopping the broker and the database');
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  }, 120_000);
});
