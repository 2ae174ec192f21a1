import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FunctionDeclaration } from '@qfn/shared';
import { functionsDir } from './paths';

/** A consumer function package: `functions/<dir>/src/function.ts` exports its declaration by default. */
export interface FunctionPackage {
  dir: string;
  declarationFile: string;
  /** The container's entry point. */
  entryFile: string;
  declaration: FunctionDeclaration;
}

/** Every consumer function under functions/, sorted by name. The publish function (HTTP) is not one. */
export async function loadFunctions(): Promise<FunctionPackage[]> {
  const packages: FunctionPackage[] = [];
  for (const dir of readdirSync(functionsDir).sort()) {
    const declarationFile = join(functionsDir, dir, 'src', 'function.ts');
    if (!existsSync(declarationFile)) continue;
    const module = (await import(pathToFileURL(declarationFile).href)) as { default?: FunctionDeclaration };
    if (!module.default?.name) throw new Error(`${declarationFile} must export a defineFunction(...) declaration by default`);
    packages.push({ dir: join(functionsDir, dir), declarationFile, entryFile: join(functionsDir, dir, 'src', 'main.ts'), declaration: module.default });
  }
  return packages.sort((a, b) => a.declaration.name.localeCompare(b.declaration.name));
}
