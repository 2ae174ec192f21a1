/**
 * The image's bundle of run-job (what docker/Dockerfile copies into /app) starts its worker threads
 * from the files shipped beside it: jobs.worker.mjs and node_modules/piscina, nothing from the repository.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { queueSpecOf } from '@qfn/shared/platform';
import { buildImageBundle, findImageTarget } from '@qfn/tooling/images';
import runJob from '../functions/run-job/src/function';
import { rabbitmqHarness } from './support/brokers';
import { followJsonLogs } from './support/process';
import { waitFor } from './support/wait';
import { faultScenario } from './faults/support';
import { publishJob } from './faults/jobs';

describe('the run-job image bundle', () => {
  const setUp = faultScenario(rabbitmqHarness);
  const outRoot = mkdtempSync(join(tmpdir(), 'qfn-run-job-bundle-'));
  afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

  it('ships its worker file and piscina, and runs a job on a thread from a folder of its own', async () => {
    const report = await buildImageBundle(await findImageTarget('run-job'), outRoot);
    expect(report.files.map((f) => f.file)).toContain(join('run-job', 'jobs.worker.mjs'));
    // Moved away from the repository, as in the image: nothing can be found through the repository's node_modules.
    const app = mkdtempSync(join(tmpdir(), 'qfn-run-job-app-'));
    cpSync(join(outRoot, 'run-job'), app, { recursive: true });
    expect(existsSync(join(app, 'node_modules', 'piscina', 'dist', 'worker.js'))).toBe(true);

    const { world } = await setUp('rjbundle', 'run-job-unused');
    await world.broker.provision(queueSpecOf(runJob));
    const child = spawn(process.execPath, [join(app, 'index.mjs')], {
      cwd: app,
      env: { ...process.env, ...world.env('run-job'), HEALTH_PORT: '0', LOG_LEVEL: 'info', NODE_PATH: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const replica = { child, ...followJsonLogs(child) };
    try {
      await replica.waitForLog('consuming', 30_000);
      const id = await publishJob(world.broker, 'job.checksum', { text: 'abc' });
      const ran = await replica.waitForLog('job ran', 60_000);
      expect(ran['threadId']).not.toBe(0);
      const rows = await waitFor(
        'the stored result',
        async () => {
          const found = await world.database.db.execute<{ event_id: string; result: { sha256: string } }>(sql`select event_id, result from job_results`);
          return found.length > 0 ? found : undefined;
        },
        30_000,
      );
      expect(rows.map((r) => [r.event_id, r.result.sha256])).toEqual([[id, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad']]);
      child.kill('SIGTERM');
      expect(await replica.exited).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(app, { recursive: true, force: true });
    }
  }, 180_000);
});
