/**
 * `npm run new:function -- <name> [--subscribes message.published] [--description "…"] [--skip-install]`:
 * scaffolds functions/<name>/ (package.json, src/function.ts with its declaration, src/main.ts, a test),
 * links the workspace and regenerates what derives from declarations (KEDA manifests, chart values, the
 * publish function's queue list). `npm start` picks the function up with no other step.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { functionsDir, repoRoot } from './lib/functions';

const templateDir = fileURLToPath(new URL('./templates/new-function', import.meta.url));

/** The declaration's own rules (defineFunction checks them again when the function loads). */
const dnsLabel = /^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$/;
const topicPattern = /^(\*|#|[A-Za-z0-9_-]+)(\.(\*|#|[A-Za-z0-9_-]+))*$/;
const reservedNames = new Set(['publish', 'shared', 'migrate']);

export interface NewFunctionOptions {
  name: string;
  subscribes: string[];
  description: string;
}

/** Why a scaffold request cannot be honoured, or undefined. */
export function invalidRequest(options: NewFunctionOptions, targetDir: string): string | undefined {
  if (!dnsLabel.test(options.name)) return `name "${options.name}" must be a DNS label: a-z, 0-9 and "-", starting with a letter, at most 40 characters`;
  if (reservedNames.has(options.name)) return `name "${options.name}" is taken by the platform`;
  if (options.subscribes.length === 0) return 'give at least one event type to subscribe to';
  const badPattern = options.subscribes.find((pattern) => !topicPattern.test(pattern));
  if (badPattern) return `"${badPattern}" is not a topic pattern (dot-separated words, * for one word, # for any)`;
  if (existsSync(targetDir)) return `${relative(repoRoot, targetDir)} already exists`;
  return undefined;
}

const camelCase = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** The package's files, relative path → content, from the templates. */
export function renderFunctionFiles(options: NewFunctionOptions): Map<string, string> {
  const values: Record<string, string> = {
    name: options.name,
    camelName: camelCase(options.name),
    description: options.description.replace(/\*\//g, '* /').replace(/[\\']/g, (c) => `\\${c}`),
    subscribes: JSON.stringify(options.subscribes).replace(/"/g, "'"),
  };
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.tmpl')) {
        const content = readFileSync(path, 'utf8').replace(/\{\{(\w+)\}\}/g, (_, key: string) => values[key] ?? `{{${key}}}`);
        files.set(relative(templateDir, path).slice(0, -'.tmpl'.length), content);
      }
    }
  };
  walk(templateDir);
  return files;
}

export function writeFunctionPackage(targetDir: string, files: Map<string, string>): void {
  for (const [path, content] of files) {
    mkdirSync(dirname(join(targetDir, path)), { recursive: true });
    writeFileSync(join(targetDir, path), content);
  }
}

function run(command: string, args: string[]): boolean {
  console.log(`\n$ ${command} ${args.join(' ')}`);
  return spawnSync(command, args, { cwd: repoRoot, stdio: 'inherit' }).status === 0;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      subscribes: { type: 'string', default: 'message.published' },
      description: { type: 'string' },
      'skip-install': { type: 'boolean' },
    },
  });
  const name = positionals[0] ?? '';
  const options: NewFunctionOptions = {
    name,
    subscribes: values.subscribes.split(',').map((s) => s.trim()).filter(Boolean),
    description: values.description ?? `Handles ${values.subscribes} events`,
  };
  const targetDir = join(functionsDir, name);
  const problem = name ? invalidRequest(options, targetDir) : 'usage: npm run new:function -- <name> [--subscribes a.b,c.*] [--description "…"]';
  if (problem) {
    console.error(problem);
    process.exit(64);
  }

  const files = renderFunctionFiles(options);
  writeFunctionPackage(targetDir, files);
  for (const path of files.keys()) console.log(`created ${relative(repoRoot, join(targetDir, path))}`);

  const scripts = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const steps: [string, string[]][] = [
    ...(values['skip-install'] ? [] : [['npm', ['install', '--prefer-offline', '--no-audit', '--no-fund']] as [string, string[]]]),
    ...['manifests', 'generate:queues'].filter((script) => scripts[script]).map((script): [string, string[]] => ['npm', ['run', '--silent', script]]),
  ];
  const failed = steps.filter(([command, args]) => !run(command, args));

  const declaration = (await import(pathToFileURL(join(targetDir, 'src', 'function.ts')).href)) as { default: { name: string } };
  console.log(`\n${declaration.default.name}: declared, subscribed to ${options.subscribes.join(', ')}.`);
  console.log(`Next: edit functions/${name}/src/function.ts, run its test (npx vitest run functions/${name}),`);
  console.log(`then \`npm start\` runs it and scales it from zero; publish with --type matching its subscription.`);
  if (failed.length > 0) {
    console.error(`\nthese steps failed; run them yourself: ${failed.map(([c, a]) => `${c} ${a.join(' ')}`).join('; ')}`);
    process.exit(1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
