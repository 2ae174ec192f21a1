/**
 * The Docker CLI as the image test and the bench use it: which CLI, whether an Engine answers, builds with their
 * BuildKit log (to see which steps came from the cache), and image sizes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * $DOCKER, else Debian's /usr/bin/docker (its BuildKit is built in; a newer CLI elsewhere on PATH may need the
 * buildx plugin), else `docker`.
 */
export function dockerCli(): string {
  if (process.env['DOCKER']) return process.env['DOCKER'];
  return existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
}

export type EngineStatus = { ok: true; version: string } | { ok: false; reason: string };

/** Whether a Docker Engine answers this CLI, and its version, or why not. */
export function engineStatus(): EngineStatus {
  const result = spawnSync(dockerCli(), ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8', timeout: 20_000 });
  if (result.error) return { ok: false, reason: `${dockerCli()}: ${result.error.message}` };
  if (result.status !== 0) return { ok: false, reason: `${dockerCli()} version: ${(result.stderr || result.stdout).trim().split('\n')[0]}` };
  return { ok: true, version: result.stdout.trim() };
}

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the Docker CLI to completion (BuildKit on), without blocking the event loop. */
export function docker(args: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(dockerCli(), [...args], { env: { ...process.env, DOCKER_BUILDKIT: '1', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

export interface BuildOptions {
  dockerfile: string;
  context: string;
  tag: string;
  buildArgs?: Record<string, string>;
  /** Run every step (`--no-cache`; cache mounts such as npm's download cache stay). */
  noCache?: boolean;
}

export interface BuildResult {
  /** BuildKit's plain progress log. */
  log: string;
  ms: number;
}

/**
 * `docker build` with BuildKit and host networking (the only network these machines give containers), failing with
 * the end of the log.
 *
 * @example
 * const { log } = await buildImage({ dockerfile: 'docker/Dockerfile', context: repoRoot, tag: 'qfn-publish:dev', buildArgs: { FUNCTION: 'publish' } });
 * stepCached(log, /npm ci/); // true when the dependency layer came from the cache
 */
export async function buildImage(options: BuildOptions): Promise<BuildResult> {
  const args = ['build', '--progress', 'plain', '--network', 'host', '-f', options.dockerfile, '-t', options.tag];
  for (const [name, value] of Object.entries(options.buildArgs ?? {})) args.push('--build-arg', `${name}=${value}`);
  if (options.noCache) args.push('--no-cache');
  const started = performance.now();
  const result = await docker([...args, options.context], { timeoutMs: 900_000 });
  const log = result.stderr + result.stdout;
  if (result.status !== 0) throw new Error(`docker build ${options.tag} failed (${result.status}):\n${log.slice(-4000)}`);
  return { log, ms: performance.now() - started };
}

/**
 * Whether the build step whose instruction matches `instruction` came from the cache (`#N CACHED` in BuildKit's plain
 * log); undefined when no such step ran.
 */
export function stepCached(log: string, instruction: RegExp): boolean | undefined {
  const step = log
    .split('\n')
    .map((line) => /^#(\d+) \[[^\]]+\] (.*)$/.exec(line))
    .find((match) => match && instruction.test(match[2]!));
  if (!step) return undefined;
  return new RegExp(`^#${step[1]} CACHED$`, 'm').test(log);
}

/** The image's size in bytes, as `docker image ls` counts it (every layer). */
export async function imageBytes(image: string): Promise<number> {
  const result = await docker(['image', 'inspect', '--format', '{{.Size}}', image]);
  if (result.status !== 0) throw new Error(`docker image inspect ${image}: ${result.stderr.trim()}`);
  return Number(result.stdout.trim());
}

export interface Layer {
  bytes: number;
  createdBy: string;
}

/** The image's layers, newest first (`docker history`). */
export async function imageLayers(image: string): Promise<Layer[]> {
  const result = await docker(['history', '--no-trunc', '--human=false', '--format', '{{.Size}}\t{{.CreatedBy}}', image]);
  if (result.status !== 0) throw new Error(`docker history ${image}: ${result.stderr.trim()}`);
  return result.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [bytes, ...createdBy] = line.split('\t');
      return { bytes: Number(bytes), createdBy: createdBy.join('\t') };
    });
}

/** Removes images and containers by name, ignoring those already gone. */
export async function removeImages(...images: string[]): Promise<void> {
  if (images.length > 0) await docker(['image', 'rm', '--force', ...images]);
}

export async function removeContainers(...names: string[]): Promise<void> {
  if (names.length > 0) await docker(['rm', '--force', ...names]);
}
