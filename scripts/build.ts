/**
 * `npm run build -- <function>...` (or `--all`): bundles each named image's code with esbuild into
 * dist/<function>/ — what docker/Dockerfile copies into the image — and prints each bundle's size.
 * `--list` prints the name of every image (each consumer function, publish, migrate), one a line, for
 * loops such as the README's image build.
 */
import { buildImageBundle, findImageTarget, imageTargets } from '@qfn/tooling/images';
import { commandLine, usageError } from '@qfn/tooling/command-line';

const usage = `Usage: npm run build -- <function>... | --all | --list [--kind function|publish|migrate]

  <function>...   bundle these images' code into dist/<name>/ (what docker/Dockerfile copies)
  --all           every image: each function under functions/, publish and migrate
  --list          print the image names, one a line (nothing is built), e.g.
                    for f in $(npm run --silent build -- --list --kind function); do docker build … ; done
  --kind <kind>   with --list or --all: only images of this kind (function: the consumer functions and publish)`;

const { values, positionals } = commandLine(
  usage,
  { all: { type: 'boolean', default: false }, list: { type: 'boolean', default: false }, kind: { type: 'string' } },
  { positionals: true },
);
const kinds: Record<string, string[]> = { function: ['function', 'publish'], publish: ['publish'], migrate: ['migrate'] };
if (values.kind !== undefined && !kinds[values.kind]) usageError(usage, `--kind must be function, publish or migrate, got ${JSON.stringify(values.kind)}`);
if (Number(values.all) + Number(values.list) + Number(positionals.length > 0) !== 1) usageError(usage, 'name the functions to build, or give --all, or --list');

let targets;
try {
  const selected = (await imageTargets()).filter((target) => !values.kind || kinds[values.kind]!.includes(target.kind));
  targets = positionals.length > 0 ? await Promise.all(positionals.map(findImageTarget)) : selected;
} catch (error) {
  usageError(usage, (error as Error).message);
}
if (values.list) {
  for (const target of targets) console.log(target.name);
  process.exit(0);
}
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
for (const target of targets) {
  const report = await buildImageBundle(target);
  for (const file of report.files) console.log(`dist/${file.file}  ${kib(file.bytes)}  (gzip ${kib(file.gzipBytes)})`);
}
