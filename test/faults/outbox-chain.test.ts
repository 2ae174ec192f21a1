/**
 * The chain run-job → job.completed → record-completion, each a real process: both SIGKILLed twice at
 * random moments while 400 jobs go through and restarted as a ReplicaSet would, with the publish
 * function's recovery relay running beside them. Every job must end in exactly one completion row, and
 * the outbox must drain to empty.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'vitest';
import { brokerHarnesses } from '../support/brokers';
import { type FunctionProcess, startFunctionProcess } from '../support/process';
import { waitFor } from '../support/wait';
import { chainEntries, type ChainFunction, chainRowCount, chainSpecs, expectChainDrained, publishChainJobs, startRecoveryRelay } from './chain';
import { faultScenario, report } from './support';

const jobs = 400;

describe.each(brokerHarnesses)('outbox chain under SIGKILL on $kind', (harness) => {
  const setUp = faultScenario(harness);

  it(`turns ${jobs} jobs into exactly ${jobs} completions across SIGKILLs of either replica`, async () => {
    const { world } = await setUp('chain', 'chain-unused');
    for (const spec of chainSpecs) await world.broker.provision(spec);
    const processes: FunctionProcess[] = [];
    const start = (fn: ChainFunction) => {
      const started = startFunctionProcess(chainEntries[fn], world.env(fn, { LOG_LEVEL: 'info' }));
      processes.push(started);
      return started;
    };
    // What the publish function runs: adopts rows a dead replica left unsent.
    const recovery = startRecoveryRelay(world.database.db, world.broker);
    const count = (table: 'job_results' | 'job_completions') => chainRowCount(world.database.db, table);
    try {
      const started = performance.now();
      const ids = await publishChainJobs(world.broker, jobs);
      const current = { 'run-job': start('run-job'), 'record-completion': start('record-completion') };
      const kill = async (fn: ChainFunction, table: 'job_results' | 'job_completions', mark: number) => {
        await waitFor(`${mark} rows in ${table}`, async () => (await count(table)) >= mark, 90_000, 20);
        await sleep(Math.random() * 100);
        current[fn].child.kill('SIGKILL');
        await current[fn].exited;
        current[fn] = start(fn);
      };
      const marks = (share: number) => Math.floor(jobs * (share + Math.random() * 0.15));
      await kill('run-job', 'job_results', marks(0.15));
      await kill('record-completion', 'job_completions', marks(0.25));
      await kill('run-job', 'job_results', marks(0.5));
      await kill('record-completion', 'job_completions', marks(0.6));

      const elapsedMs = await expectChainDrained(world.database.db, world.broker, ids, started, { completionsMs: 120_000, outboxMs: 30_000, queueMs: 30_000 });
      report(`outbox-chain/${harness.kind}`, { jobs, kills: 4, adoptedByRecovery: recovery.adopted(), elapsedMs });
    } finally {
      await recovery.stop();
      for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await Promise.all(processes.map((p) => p.exited));
    }
  }, 240_000);
});
