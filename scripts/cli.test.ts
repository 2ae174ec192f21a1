import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@qfn/tooling/paths';

/** Every command a user runs through npm (package.json "scripts" pointing at a TypeScript file). */
const commands = [
  'scripts/start.ts',
  'scripts/new-function.ts',
  'scripts/generate.ts',
  'scripts/build.ts',
  'scripts/deploy.ts',
  'scripts/dlq.ts',
  'scripts/publish-load.ts',
  'test/faults/soak.ts',
  'migrations/run.ts',
  'migrations/provision.ts',
];

function run(file: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, file), ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('every command line', () => {
  it.each(commands)(
    '%s: --help prints the usage and exits 0; an unknown option prints the usage and exits 2, no stack trace',
    async (file) => {
      const help = await run(file, '--help');
      expect(help.stdout).toMatch(/^Usage: npm (start|run [a-z:]+)/);
      expect(help.code).toBe(0);

      const unknown = await run(file, '--no-such-option');
      expect(unknown.stderr).toMatch(/^Unknown option '--no-such-option'\n\nUsage: npm /);
      expect(unknown.stderr).not.toMatch(/\n\s+at /);
      expect(unknown.code).toBe(2);
    },
    60_000,
  );

  it('covers every TypeScript entry in package.json "scripts"', async () => {
    const { scripts } = (await import('../package.json', { with: { type: 'json' } })).default as { scripts: Record<string, string> };
    const entries = Object.values(scripts)
      .map((line) => /^tsx ((?:scripts|migrations|test)\/[\w/-]+\.ts)\b/.exec(line)?.[1])
      .filter((entry): entry is string => entry !== undefined);
    expect(new Set(entries)).toEqual(new Set(commands));
  });
});
