import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig, type FunctionDeclaration } from '@qfn/shared';
import { localConfig } from '../../local/config';
import { LocalRunner, type ReplicaEvent } from '../../local/runner';
import { planChanges } from '../../local/watch/changes';
import { watchFunctions } from '../../local/watch/index';
import { repoRoot } from '@qfn/tooling/paths';
import { freePort } from '../faults/support';
import { uniqueName } from '../support/names';
import { waitFor } from '../support/wait';

// Inside the repository (so @qfn/shared resolves), outside functions/ (no other test sees the fixture).
const scratch = mkdtempSync(join(repoRoot, 'node_modules', '.watch-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const declarationSource = (name: string, maxReplicaCount: number) => `
import { messageEvent } from '@qfn/events';
import { defineFunction } from '@qfn/shared';
export default defineFunction({
  name: '${name}',
  subscribes: ['watch.test'],
  schema: messageEvent,
  poolSize: 1,
  scaling: { minReplicaCount: 1, maxReplicaCount: ${maxReplicaCount}, targetQueueLength: 10, pollingInterval: 1, cooldownPeriod: 5 },
  shutdownGracePeriodSeconds: 5,
  handler: async () => {},
});
`;
const mainSource = (version: number) => `
import { runFunction } from '@qfn/shared';
import declaration from './function';
console.log('code version ${version}');
await runFunction(declaration);
`;

describe('npm start -- --watch', () => {
  it('maps changed files to rollouts and re-declarations', () => {
    const tree = {
      sharedDir: '/r/shared/src',
      functionsDir: '/r/functions',
      publishDir: '/r/functions/publish',
      functions: [
        { name: 'a', dir: '/r/functions/a' },
        { name: 'b', dir: '/r/functions/b' },
      ],
    };
    const plan = (...files: string[]) => {
      const p = planChanges(files, tree);
      return { rollout: [...p.rollout].sort(), redeclare: [...p.redeclare], unknown: [...p.unknown] };
    };
    expect(plan('/r/functions/a/src/jobs.ts')).toEqual({ rollout: ['a'], redeclare: [], unknown: [] });
    expect(plan('/r/functions/a/src/function.ts')).toEqual({ rollout: ['a'], redeclare: ['a'], unknown: [] });
    expect(plan('/r/shared/src/runtime/worker.ts')).toEqual({ rollout: ['a', 'b', 'publish'], redeclare: [], unknown: [] });
    expect(plan('/r/functions/publish/src/app.ts')).toEqual({ rollout: ['publish'], redeclare: [], unknown: [] });
    expect(plan('/r/functions/a/src/function.test.ts', '/r/functions/a/README.md', '/r/functions/a/node_modules/x/index.js')).toEqual({
      rollout: [],
      redeclare: [],
      unknown: [],
    });
    expect(plan('/r/functions/new-one/src/function.ts')).toEqual({ rollout: [], redeclare: [], unknown: ['new-one'] });
  });

  it("rolls a function's replicas onto its changed code (new replica up, old one drained) and re-derives its scaling live", async () => {
    const name = uniqueName('watch');
    const fnName = `w-${name}`.slice(0, 40);
    const dir = join(scratch, fnName);
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'src', 'function.ts'), declarationSource(fnName, 3));
    writeFileSync(join(dir, 'src', 'main.ts'), mainSource(1));
    const declarationFile = join(dir, 'src', 'function.ts');
    const { default: declaration } = (await import(pathToFileURL(declarationFile).href)) as { default: FunctionDeclaration };
    const pkg = { dir, declarationFile, entryFile: join(dir, 'src', 'main.ts'), declaration };

    const config = parseConfig(localConfig, { QUEUE_PREFIX: name, PORT: String(await freePort()), LOCAL_STATUS_PORT: '0', LOG_LEVEL: 'info' });
    const runner = new LocalRunner({ config, functions: [pkg], publishEntry: false, backoff: { initialMs: 200, maxMs: 2_000, resetAfterMs: 60_000 } });
    const output: string[] = [];
    const events: ReplicaEvent[] = [];
    const notices: string[] = [];
    runner.on('output', (line) => output.push(line.line));
    runner.on('replica', (event) => events.push(event));
    let watcher: ReturnType<typeof watchFunctions> | undefined;
    try {
      await runner.start();
      const replicas = () => runner.replicaSet(fnName)!.status().replicas;
      const first = await waitFor('the first replica ready', () => replicas().find((r) => r.phase === 'ready'), 30_000);
      expect(output).toContain('code version 1');
      watcher = watchFunctions({
        runner,
        functions: [pkg],
        runtime: config.LOCAL_RUNTIME,
        notice: (line) => notices.push(line),
        roots: [dir],
        debounceMs: 100,
      });

      writeFileSync(join(dir, 'src', 'main.ts'), mainSource(2));
      await waitFor('the new code running', () => output.includes('code version 2'), 30_000);
      await waitFor('the old replica drained', () => events.some((e) => e.type === 'stopped' && e.pid === first.pid), 30_000);
      const stopped = events.find((e) => e.type === 'stopped' && e.pid === first.pid)!;
      expect(stopped).toMatchObject({ signal: null, code: 0 });
      await waitFor(
        'one ready replica of the new code',
        () => replicas().length === 1 && replicas()[0]!.phase === 'ready' && replicas()[0]!.pid !== first.pid,
        30_000,
      );
      expect(notices.some((line) => line.includes(`${fnName}: rolled out`))).toBe(true);

      writeFileSync(join(dir, 'src', 'function.ts'), declarationSource(fnName, 7));
      await waitFor('the new maxReplicaCount applied', () => runner.status().functions[0]!.scaling.maxReplicaCount === 7, 30_000);
      expect(notices.some((line) => line.includes(`${fnName}: scaling re-derived from its declaration (min 1, max 7`))).toBe(true);
    } finally {
      await watcher?.close();
      await runner.stop();
    }
  }, 120_000);
});
