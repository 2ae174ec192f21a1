import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { repoRoot } from './paths';

// Skipped while copying, for speed only: the copy's own .dockerignore decides what Docker sends.
const heavy = new Set(['node_modules', '.git', '.tools', 'dist', '.data', '.qfn', 'coverage', '.bench-profiles']);

export interface BuildContext {
  dir: string;
  /** Changes one source file of the copy, as a commit would (a comment: the bundle stays the same). */
  changeCode(relativePath: string, note: string): void;
  remove(): void;
}

/**
 * A copy of the working tree to build images from, so a test can change code without touching the checkout
 * (BuildKit's cache is keyed by content: a copy hits the same cache entries as the checkout).
 */
export function copyBuildContext(): BuildContext {
  const dir = mkdtempSync(join(tmpdir(), 'qfn-image-context-'));
  cpSync(repoRoot, dir, { recursive: true, filter: (source) => !heavy.has(basename(source)) });
  return {
    dir,
    changeCode: (relativePath, note) => appendFileSync(join(dir, relativePath), `\n// ${note}\n`),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
