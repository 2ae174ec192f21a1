/**
 * `npm run manifests`: regenerates keda/ and the `functions:` block of helm/values.yaml from the functions'
 * declarations. `npm run manifests -- --check` changes nothing and exits 1 when the committed files drift.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { commandLine } from './lib/args';
import { loadFunctions } from '@qfn/tooling/functions';
import { repoRoot } from '@qfn/tooling/paths';
import { driftedFiles, generatedFiles, staleFiles } from './helm/generated-files';

const usage = `Usage: npm run manifests [-- --check]

Regenerates keda/<broker>/, the functions: block of helm/values.yaml and helm/files/queue-specs.json from the
functions' declarations (npm run generate does this and the rest).
  --check   change nothing; exit 1 when the committed files differ from the declarations`;
const check = commandLine(usage, { check: { type: 'boolean', default: false } }).values.check;
const files = generatedFiles(await loadFunctions());

if (check) {
  const drifted = driftedFiles(files);
  if (drifted.length > 0) {
    console.error(`manifests: out of date with the declarations: ${drifted.join(', ')}\nRun \`npm run manifests\` and commit the result.`);
    process.exit(1);
  }
  console.log(`manifests: ${files.size} files up to date`);
} else {
  for (const path of staleFiles(files)) {
    rmSync(path);
    console.log(`removed ${relative(repoRoot, path)}`);
  }
  for (const [path, content] of files) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  console.log(`manifests: wrote ${files.size} files`);
}
