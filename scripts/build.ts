/**
 * `npm run build -- <function>...` (or `--all`): bundles each named image's code with esbuild into
 * dist/<function>/ — what docker/Dockerfile copies into the image — and prints each bundle's size.
 */
import { buildImageBundle, findImageTarget, imageTargets } from './helm/images';

const names = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const all = process.argv.includes('--all');
if (!all && names.length === 0) {
  console.error(`usage: npm run build -- <function>... | --all   (functions: ${(await imageTargets()).map((t) => t.name).join(', ')})`);
  process.exit(64);
}

const targets = all ? await imageTargets() : await Promise.all(names.map(findImageTarget));
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
for (const target of targets) {
  const report = await buildImageBundle(target);
  for (const file of report.files) console.log(`dist/${file.file}  ${kib(file.bytes)}  (gzip ${kib(file.gzipBytes)})`);
}
