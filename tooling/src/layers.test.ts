import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importSpecifiers, layerViolations } from './layers';

describe('the tooling layers', () => {
  it('tooling/ imports nothing from local/, scripts/, bench/ or test/', () => {
    expect(layerViolations('tooling')).toEqual([]);
  });

  it('local/ imports nothing from scripts/ or bench/', () => {
    expect(layerViolations('local')).toEqual([]);
  });

  it('bench/ imports nothing from test/', () => {
    expect(layerViolations('bench')).toEqual([]);
  });

  it('migrations/ imports nothing from scripts/, local/, bench/ or test/', () => {
    expect(layerViolations('migrations')).toEqual([]);
  });

  it("scripts/' commands import nothing from test/ (their tests may use the harness)", () => {
    expect(layerViolations('scripts')).toEqual([]);
  });
});

describe('layerViolations', () => {
  const root = mkdtempSync(join(tmpdir(), 'qfn-layers-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('names a local/ file that imports scripts/, statically or on demand', () => {
    // Built from parts, so that this file's own text holds no such import for the scan above.
    const scripts = ['..', '..', 'scripts', 'lib', 'functions'].join('/');
    const bench = ['..', '..', 'bench', 'main'].join('/');
    mkdirSync(join(root, 'local', 'watch'), { recursive: true });
    writeFileSync(
      join(root, 'local', 'watch', 'index.ts'),
      `import { loadFunctions } from '${scripts}';\nimport { x } from './changes';\nconst m = await import('${bench}');\n`,
    );
    expect(layerViolations('local', root)).toEqual([
      { file: join('local', 'watch', 'index.ts'), specifier: scripts },
      { file: join('local', 'watch', 'index.ts'), specifier: bench },
    ]);
  });

  it("lets a layer's tests use the test harness where its commands may not", () => {
    const harness = ['..', 'test', 'support', 'names'].join('/');
    mkdirSync(join(root, 'scripts'), { recursive: true });
    writeFileSync(join(root, 'scripts', 'soak.ts'), `import { uniqueName } from '${harness}';\n`);
    writeFileSync(join(root, 'scripts', 'dlq.test.ts'), `import { uniqueName } from '${harness}';\n`);
    expect(layerViolations('scripts', root)).toEqual([{ file: join('scripts', 'soak.ts'), specifier: harness }]);
  });

  it('finds import, export-from, side-effect and dynamic specifiers', () => {
    const source = "import a from './a';\nexport { b } from \"../b\";\nimport '../c';\nawait import('../d');\nimport type { E } from '@qfn/shared';";
    expect(importSpecifiers(source)).toEqual(['./a', '../b', '../c', '../d', '@qfn/shared']);
  });
});
