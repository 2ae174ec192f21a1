import { bundleEntries, type BundleEntry } from '@qfn/tooling/bundle';
import type { LaunchSpec } from './replica';

/** `bundle`: esbuild once at startup, then plain node (fast cold start); `tsx`: compile on each start (no build step). */
export type RuntimeMode = 'bundle' | 'tsx';

export type Launcher = (env: NodeJS.ProcessEnv) => LaunchSpec;

/** Preloaded into every replica: it drains and exits when the runner disappears without stopping it. */
const parentWatch = new URL('./parent-watch.mjs', import.meta.url).href;

/**
 * Prepares how each entry point is started as a process: the container's entry file, bundled or through tsx.
 *
 * @example
 * const launchers = await prepareLaunchers('bundle', [{ name: 'store-message', entryFile }], { outDir, cwd: repoRoot });
 * new Replica(launchers.get('store-message')!({ ...process.env, HEALTH_PORT: '0' }));
 */
export async function prepareLaunchers(
  mode: RuntimeMode,
  entries: readonly BundleEntry[],
  options: { outDir: string; cwd: string },
): Promise<Map<string, Launcher>> {
  const launchers = new Map<string, Launcher>();
  const watchParent = ['--import', parentWatch];
  if (mode === 'tsx') {
    for (const entry of entries) {
      launchers.set(entry.name, (env) => ({
        command: process.execPath,
        args: ['--import', 'tsx', ...watchParent, entry.entryFile],
        env,
        cwd: options.cwd,
        watchParent: true,
      }));
    }
    return launchers;
  }
  const files = await bundleEntries(entries, options.outDir, { splitting: true });
  for (const [name, file] of files) {
    launchers.set(name, (env) => ({
      command: process.execPath,
      args: ['--enable-source-maps', ...watchParent, file],
      env,
      cwd: options.cwd,
      watchParent: true,
    }));
  }
  return launchers;
}
