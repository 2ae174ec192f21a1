import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root directory (this file is tooling/src/paths.ts). */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const functionsDir = join(repoRoot, 'functions');
/** Where `npm run build` bundles each image's code. */
export const distDir = join(repoRoot, 'dist');
/** Caches the tools keep under node_modules/.cache (the local runner's bundles and endpoints files, the migration check). */
export const cacheDir = join(repoRoot, 'node_modules', '.cache');
