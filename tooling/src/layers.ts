import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { repoRoot } from './paths';

/**
 * Which top-level directories of the repository each tooling layer must not import (see tooling/README.md):
 * tooling sits below local/, scripts/ and bench/; local/ sits below scripts/ and bench/; bench/ does not reach into test/.
 */
export const forbiddenImports: Readonly<Record<string, readonly string[]>> = {
  tooling: ['local', 'scripts', 'bench', 'test', 'console'],
  local: ['scripts', 'bench'],
  // The benchmarks are tooling too: what they share with the tests lives in @qfn/tooling, not in test/.
  bench: ['test'],
  // The migration runner ships as an image of its own: nothing from the repository's tools but @qfn/tooling.
  migrations: ['scripts', 'local', 'bench', 'test'],
};

/** The same for a layer's commands and modules only: its tests may use the test harness (test/support). */
export const forbiddenOutsideTests: Readonly<Record<string, readonly string[]>> = {
  scripts: ['test'],
};

/** Module specifiers in a source text: `import … from`, `export … from`, bare `import '…'` and `import('…')`. */
export function importSpecifiers(source: string): string[] {
  const pattern = /\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g;
  return [...source.matchAll(pattern)].map((match) => match[1]!);
}

export interface LayerViolation {
  /** Repository-relative file holding the import. */
  file: string;
  specifier: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name === 'dist') return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs|js)$/.test(entry.name) ? [path] : [];
  });
}

const isTest = (file: string) => /\.test\.[cm]?[jt]s$/.test(file);

/** Relative imports in `layer`'s files that reach into a directory the layer sits below. */
export function layerViolations(layer: string, root = repoRoot): LayerViolation[] {
  const violations: LayerViolation[] = [];
  for (const file of sourceFiles(join(root, layer))) {
    const forbidden = [...(forbiddenImports[layer] ?? []), ...(isTest(file) ? [] : (forbiddenOutsideTests[layer] ?? []))];
    for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const target = relative(root, resolve(dirname(file), specifier)).split(sep)[0]!;
      if (forbidden.includes(target)) violations.push({ file: relative(root, file), specifier });
    }
  }
  return violations;
}
