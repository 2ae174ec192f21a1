import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importSpecifiers } from '@qfn/tooling/layers';
import { repoRoot } from '@qfn/tooling/paths';

/**
 * The packages' public surface: what @qfn/shared offers function authors (its root), what only the platform's
 * own code uses (/platform), and that function packages stay on the first (and /testing in their tests).
 */

/** The publish function is the platform's gateway (HTTP API, outbox recovery, admin, push scaler): it may use /platform. */
const platformFunctions = new Set(['publish']);

interface Violation {
  file: string;
  specifier: string;
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name === 'dist') return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|mjs|js|tmpl)$/.test(entry.name) ? [path] : [];
  });
}

/**
 * Imports in a function package that go past what a function may use: its code and the unit tests beside it
 * import the root of @qfn/shared (tests also /testing) and files of their own package. A package's `test/`
 * folder holds integration tests that drive the function as a process with real services, as test/ does:
 * those may use /platform and the repository's test harness (test/).
 */
export function functionImportViolations(packageDir: string, root: string, allowPlatform: boolean): Violation[] {
  const violations: Violation[] = [];
  for (const file of sourceFiles(packageDir)) {
    const inPackage = relative(packageDir, file).split(sep);
    const integration = inPackage[0] === 'test';
    const isTest = integration || /\.test\.ts(\.tmpl)?$/.test(file);
    for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
      const target = specifier.startsWith('.') ? relative(root, resolve(dirname(file), specifier)).split(sep) : [];
      const allowed =
        specifier === '@qfn/shared' ||
        (isTest && specifier === '@qfn/shared/testing') ||
        ((allowPlatform || integration) && specifier === '@qfn/shared/platform') ||
        (!specifier.startsWith('@qfn/shared/') && !specifier.startsWith('.')) ||
        (specifier.startsWith('.') && !relative(packageDir, resolve(dirname(file), specifier)).startsWith('..')) ||
        (integration && target[0] === 'test') ||
        // The gateway also serves the web console (console/) and its tests use test/: only its @qfn/shared paths are held.
        (allowPlatform && specifier.startsWith('.'));
      if (!allowed) violations.push({ file: relative(root, file).split(sep).join('/'), specifier });
    }
  }
  return violations;
}

describe('function packages import only the root of @qfn/shared', () => {
  const functionsDir = join(repoRoot, 'functions');
  const packages = readdirSync(functionsDir).filter((dir) => existsSync(join(functionsDir, dir, 'package.json')));

  it.each(packages.filter((dir) => !platformFunctions.has(dir)))('functions/%s', (dir) => {
    expect(functionImportViolations(join(functionsDir, dir), repoRoot, false)).toEqual([]);
  });

  it('the scaffold of npm run new:function', () => {
    expect(functionImportViolations(join(repoRoot, 'scripts', 'templates', 'new-function'), repoRoot, false)).toEqual([]);
  });

  it('functions/publish, the platform gateway: the root and /platform, no deep paths', () => {
    expect(functionImportViolations(join(functionsDir, 'publish'), repoRoot, true)).toEqual([]);
  });

  it('names a function file that imports /platform, a deep path or a file outside its package', () => {
    const root = mkdtempSync(join(tmpdir(), 'qfn-public-api-'));
    try {
      const pkg = join(root, 'functions', 'greeter');
      mkdirSync(join(pkg, 'src'), { recursive: true });
      // Built from parts, so that this file's own text holds no such import.
      const platform = ['@qfn', 'shared', 'platform'].join('/');
      const deep = ['@qfn', 'shared', 'queue', 'types'].join('/');
      const outside = ['..', '..', '..', 'shared', 'src', 'index'].join('/');
      writeFileSync(
        join(pkg, 'src', 'function.ts'),
        `import { defineFunction } from '@qfn/shared';\nimport { z } from 'zod';\nimport { a } from './a';\nimport { createBroker } from '${platform}';\nimport type { Broker } from '${deep}';\nimport { b } from '${outside}';\n`,
      );
      writeFileSync(join(pkg, 'src', 'function.test.ts'), `import { runOnce } from '@qfn/shared/testing';\nimport { c } from '${platform}';\n`);
      writeFileSync(join(pkg, 'src', 'main.ts'), `import { runOnce } from '@qfn/shared/testing';\n`);
      const harness = ['..', '..', '..', 'test', 'support', 'brokers'].join('/');
      mkdirSync(join(pkg, 'test'));
      writeFileSync(
        join(pkg, 'test', 'replica.test.ts'),
        `import { queueSpecOf } from '${platform}';\nimport { h } from '${harness}';\nimport type { Q } from '${deep}';\n`,
      );
      writeFileSync(join(pkg, 'src', 'unit.test.ts'), `import { h } from '${harness}';\n`);
      expect(functionImportViolations(pkg, root, false)).toEqual([
        { file: 'functions/greeter/src/function.test.ts', specifier: platform },
        { file: 'functions/greeter/src/function.ts', specifier: platform },
        { file: 'functions/greeter/src/function.ts', specifier: deep },
        { file: 'functions/greeter/src/function.ts', specifier: outside },
        { file: 'functions/greeter/src/main.ts', specifier: '@qfn/shared/testing' },
        { file: 'functions/greeter/src/unit.test.ts', specifier: harness },
        { file: 'functions/greeter/test/replica.test.ts', specifier: deep },
      ]);
      expect(functionImportViolations(pkg, root, true)).toEqual([
        { file: 'functions/greeter/src/function.ts', specifier: deep },
        { file: 'functions/greeter/src/main.ts', specifier: '@qfn/shared/testing' },
        { file: 'functions/greeter/test/replica.test.ts', specifier: deep },
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('@qfn/shared entries', () => {
  it('exports explicit subpaths, no wildcard', () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'shared', 'package.json'), 'utf8')) as { exports: Record<string, string> };
    expect(Object.keys(manifest.exports).sort()).toEqual(['.', './platform', './sqs', './sqs-emulator', './testing']);
  });

  it('the root re-exports named parts only (no export *)', () => {
    expect(readFileSync(join(repoRoot, 'shared', 'src', 'index.ts'), 'utf8')).not.toMatch(/export \*/);
  });

  it("the root's values are exactly what a function author uses", async () => {
    const root = await import('@qfn/shared');
    // Adding to this list widens what every function may depend on: decide it here, on purpose.
    expect(Object.keys(root).sort()).toEqual(
      [
        'ConfigError',
        'HandlerTimeoutError',
        'PermanentError',
        'ShutdownDeadlineError',
        'booleanFlag',
        'defineEvent',
        'defineFunction',
        'loadConfig',
        'parseConfig',
        'port',
        'positiveInt',
        'runFunction',
      ].sort(),
    );
  });

  it('/platform holds everything the root does', async () => {
    const [root, platform] = await Promise.all([import('@qfn/shared'), import('@qfn/shared/platform')]);
    for (const name of Object.keys(root)) expect(platform, name).toHaveProperty(name, (root as Record<string, unknown>)[name]);
  });

  it('/platform does not load the AWS SDK (createBroker imports @qfn/shared/sqs on demand)', () => {
    const text = readFileSync(join(repoRoot, 'shared', 'src', 'platform.ts'), 'utf8');
    expect(text).not.toMatch(/from '\.\/queue\/sqs\/(index|emulator)'/);
  });
});

describe('the runtime knows nothing of the app', () => {
  it('shared/ imports neither @qfn/events nor a function package', () => {
    const offending = sourceFiles(join(repoRoot, 'shared'))
      .flatMap((file) => importSpecifiers(readFileSync(file, 'utf8')).map((specifier) => ({ file: relative(repoRoot, file), specifier })))
      .filter(({ file, specifier }) => {
        if (specifier.startsWith('@qfn/')) return !specifier.startsWith('@qfn/shared');
        if (!specifier.startsWith('.')) return false;
        const top = relative(repoRoot, resolve(dirname(join(repoRoot, file)), specifier)).split(sep)[0];
        return top === 'events' || top === 'functions';
      });
    expect(offending).toEqual([]);
  });

  it("@qfn/events holds the seed's message.published and messages table", async () => {
    const events = await import('@qfn/events');
    expect(events.messagePublished.type).toBe('message.published');
    expect(events.messagePublished.schema).toBe(events.messageEvent);
    expect(events.defaultEventType).toBe('message.published');
  });
});
