import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const nodeScript = fileURLToPath(new URL('../../scripts/machine/node.sh', import.meta.url));
let resolved: { path: string; version: string } | undefined;

/**
 * The node binary the measured processes run: the bench's own unless BENCH_NODE names a major release
 * pinned in scripts/machine/node.sh (`BENCH_NODE=24`, installed on first use) or a path to a node binary.
 *
 * @example
 * spawn(measuredNode().path, ['dist/publish.mjs']);
 */
export function measuredNode(): { path: string; version: string } {
  if (resolved) return resolved;
  const wanted = process.env['BENCH_NODE']?.trim();
  let path = process.execPath;
  if (wanted && /^\d+$/.test(wanted)) path = `${execFileSync('bash', [nodeScript, wanted], { encoding: 'utf8' }).trim()}/node`;
  else if (wanted) path = wanted;
  const version = path === process.execPath ? process.version : execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
  return (resolved = { path, version });
}
