import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '@qfn/tooling/paths';

export const chartDir = join(repoRoot, 'helm');
export const valueSetsDir = join(chartDir, 'ci');

export interface HelmBinary {
  path: string;
  version: string;
  major: number;
}

function versionOf(path: string): string | undefined {
  const result = spawnSync(path, ['version', '--template', '{{.Version}}'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * Every distinct Helm this machine has: .tools/helm3 and .tools/helm4 (installed by scripts/helm/install.sh,
 * run here when they are missing) and `helm` on PATH.
 */
export function helmBinaries(): HelmBinary[] {
  const local = [3, 4].map((major) => join(repoRoot, '.tools', `helm${major}`, 'helm'));
  if (!local.every(existsSync)) execFileSync('bash', [join(repoRoot, 'scripts', 'helm', 'install.sh')], { stdio: 'ignore' });
  const binaries = new Map<string, HelmBinary>();
  for (const path of [...local, 'helm']) {
    const version = versionOf(path);
    if (version && !binaries.has(version)) binaries.set(version, { path, version, major: Number(version.replace(/^v/, '').split('.')[0]) });
  }
  return [...binaries.values()];
}

export interface RenderOptions {
  valueFiles?: string[];
  set?: Record<string, string | number | boolean>;
  /** Pretend the cluster serves KEDA's API (default true). */
  withKeda?: boolean;
  release?: string;
  namespace?: string;
  chart?: string;
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

function valueArgs(options: RenderOptions): string[] {
  const args: string[] = [];
  for (const file of options.valueFiles ?? []) args.push('--values', file);
  for (const [key, value] of Object.entries(options.set ?? {})) {
    args.push(...(typeof value === 'string' ? ['--set-string', `${key}=${value}`] : ['--set-json', `${key}=${JSON.stringify(value)}`]));
  }
  return args;
}

export function helm(binary: HelmBinary, args: string[]): HelmResult {
  const result = spawnSync(binary.path, args, { encoding: 'utf8', cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

export function helmTemplate(binary: HelmBinary, options: RenderOptions = {}): HelmResult {
  const args = ['template', options.release ?? 'qfn', options.chart ?? chartDir, '--namespace', options.namespace ?? 'events', ...valueArgs(options)];
  if (options.withKeda ?? true) args.push('--api-versions', 'keda.sh/v1alpha1');
  return helm(binary, args);
}

export function helmLint(binary: HelmBinary, options: RenderOptions = {}): HelmResult {
  return helm(binary, ['lint', '--strict', options.chart ?? chartDir, ...valueArgs(options)]);
}

export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  [key: string]: any;
};

/** Parses a multi-document YAML stream, failing on any YAML error; empty documents are dropped. */
export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors[0]!.message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((doc): doc is Manifest => doc !== null);
}

/** Renders and parses, failing with Helm's message when it does not render. */
export function render(binary: HelmBinary, options: RenderOptions = {}): Manifest[] {
  const result = helmTemplate(binary, options);
  if (result.status !== 0) throw new Error(`helm ${binary.version} template failed: ${result.stderr}`);
  return parseManifests(result.stdout);
}
