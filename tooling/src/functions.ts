import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FunctionDeclaration } from '@qfn/shared';
import { isHttpFunction, type HttpFunctionDeclaration } from '@qfn/shared/platform';
import { functionsDir } from './paths';

/** A function package: `functions/<dir>/src/function.ts` exports its declaration by default. */
interface DeclaredPackage<D> {
  dir: string;
  declarationFile: string;
  /** The container's entry point. */
  entryFile: string;
  declaration: D;
}

/** A consumer function package (defineFunction). */
export type FunctionPackage = DeclaredPackage<FunctionDeclaration>;

/** An HTTP function package (defineHttpFunction): served on a port, not fed by a queue. */
export type HttpFunctionPackage = DeclaredPackage<HttpFunctionDeclaration>;

/** Every declaration under functions/, consumers and HTTP functions alike, in directory order. */
async function loadDeclarations(): Promise<DeclaredPackage<FunctionDeclaration | HttpFunctionDeclaration>[]> {
  const packages: DeclaredPackage<FunctionDeclaration | HttpFunctionDeclaration>[] = [];
  for (const dir of readdirSync(functionsDir).sort()) {
    const declarationFile = join(functionsDir, dir, 'src', 'function.ts');
    if (!existsSync(declarationFile)) continue;
    const module = (await import(pathToFileURL(declarationFile).href)) as { default?: FunctionDeclaration | HttpFunctionDeclaration };
    if (!module.default?.name) throw new Error(`${declarationFile} must export a defineFunction(...) or defineHttpFunction(...) declaration by default`);
    packages.push({ dir: join(functionsDir, dir), declarationFile, entryFile: join(functionsDir, dir, 'src', 'main.ts'), declaration: module.default });
  }
  return packages;
}

const byName = (a: { declaration: { name: string } }, b: { declaration: { name: string } }) => a.declaration.name.localeCompare(b.declaration.name);

/** Every consumer function under functions/, sorted by name (HTTP functions such as publish are not among them). */
export async function loadFunctions(): Promise<FunctionPackage[]> {
  const all = await loadDeclarations();
  return all.filter((pkg): pkg is FunctionPackage => !isHttpFunction(pkg.declaration)).sort(byName);
}

/** Every HTTP function under functions/ (defineHttpFunction), sorted by name: today the publish function. */
export async function loadHttpFunctions(): Promise<HttpFunctionPackage[]> {
  const all = await loadDeclarations();
  return all.filter((pkg): pkg is HttpFunctionPackage => isHttpFunction(pkg.declaration)).sort(byName);
}
