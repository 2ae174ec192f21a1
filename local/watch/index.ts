/**
 * `npm start -- --watch`: a change to a function's code rebuilds its bundle and rolls its replicas (new
 * ones start, the old ones drain on SIGTERM, as a Deployment rollout); a change to its declaration also
 * re-derives its scaling in place, keeping its replicas (as an edited ScaledObject). The broker and the
 * database keep running.
 */
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FunctionDeclaration } from '@qfn/shared';
import { type FunctionPackage } from '@qfn/tooling/functions';
import { functionsDir, repoRoot } from '@qfn/tooling/paths';
import type { LocalRunner } from '../runner';
import { prepareLaunchers, type RuntimeMode } from '../supervisor/launch';
import { planChanges } from './changes';

export interface WatchOptions {
  runner: LocalRunner;
  functions: readonly FunctionPackage[];
  runtime: RuntimeMode;
  /** Reports what happens, one line each. */
  notice: (line: string) => void;
  /** Quiet time after the last change before acting (editors write in bursts). */
  debounceMs?: number;
  /** Directories to watch: functions/ and shared/src, plus any function package outside functions/ (tests). */
  roots?: string[];
}

export interface Watcher {
  close(): Promise<void>;
}

const describe = (error: unknown) => (error instanceof Error ? error.message.split('\n')[0]! : String(error));

export function watchFunctions(options: WatchOptions): Watcher {
  const { runner, notice } = options;
  const packages = new Map(options.functions.map((pkg) => [pkg.declaration.name, pkg]));
  const sharedDir = join(repoRoot, 'shared', 'src');
  const tree = {
    sharedDir,
    functionsDir,
    publishDir: join(functionsDir, 'publish'),
    functions: options.functions.map((pkg) => ({ name: pkg.declaration.name, dir: pkg.dir })),
  };
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let working: Promise<void> = Promise.resolve();
  let build = 0;
  let closed = false;

  const apply = async (files: string[]) => {
    const plan = planChanges(files, tree);
    for (const dir of plan.unknown) notice(`[watch] functions/${dir} is new: restart npm start to run it`);
    for (const name of plan.redeclare) {
      const pkg = packages.get(name)!;
      try {
        // A fresh copy of the declaration module (the import cache keeps the old one).
        const module = (await import(`${pathToFileURL(pkg.declarationFile).href}?watch=${Date.now()}`)) as { default?: FunctionDeclaration };
        if (module.default?.name !== name) throw new Error(`src/function.ts must keep exporting the declaration of ${name}`);
        const policy = runner.rescale(module.default);
        notice(
          `[watch] ${name}: scaling re-derived from its declaration (min ${policy.minReplicaCount}, max ${policy.maxReplicaCount}, target ${policy.targetQueueLength}); run npm run generate for keda/ and the chart`,
        );
      } catch (error) {
        notice(`[watch] ${name}: declaration not applied, the running one stays: ${describe(error)}`);
        plan.rollout.delete(name);
      }
    }
    await Promise.all(
      [...plan.rollout].map(async (name) => {
        const entryFile = name === 'publish' ? runner.publishEntryFile : packages.get(name)?.entryFile;
        if (!entryFile || (name !== 'publish' && !runner.functionNames.includes(name))) return;
        const started = performance.now();
        try {
          const outDir = join(runner.bundleDirectory ?? join(repoRoot, 'node_modules', '.cache', 'qfn-local'), `watch-${++build}`);
          const launchers = await prepareLaunchers(options.runtime, [{ name, entryFile }], { outDir, cwd: repoRoot });
          notice(
            `[watch] ${name}: ${options.runtime === 'bundle' ? `rebuilt in ${Math.round(performance.now() - started)} ms` : 'changed'}, rolling its replicas (SIGTERM drain, then the new code)`,
          );
          await runner.rollout(name, launchers.get(name)!);
          notice(`[watch] ${name}: rolled out`);
        } catch (error) {
          notice(`[watch] ${name}: not rolled out, the running code stays: ${describe(error)}`);
        }
      }),
    );
  };

  const onChange = (root: string) => (_event: string, file: string | Buffer | null) => {
    if (closed || !file) return;
    pending.add(join(root, file.toString()));
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...pending];
      pending.clear();
      working = working.then(() => apply(files));
    }, options.debounceMs ?? 300);
  };
  const roots = options.roots ?? [functionsDir, sharedDir, ...options.functions.map((pkg) => pkg.dir).filter((dir) => !dir.startsWith(functionsDir))];
  const watchers: FSWatcher[] = roots.map((root) => watch(root, { recursive: true }, onChange(root)));
  notice(`[watch] watching functions/ and shared/src: a change rebuilds and rolls the function it belongs to`);

  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
      await working;
    },
  };
}
