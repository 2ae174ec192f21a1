import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { FunctionDeclaration, HandlerContext } from '@qfn/shared';
import { repoRoot } from './lib/functions';
import { invalidRequest, renderFunctionFiles, writeFunctionPackage } from './new-function';

// Inside the repository (so @qfn/shared resolves) but outside functions/ (so no other test sees it).
const scratch = mkdtempSync(join(repoRoot, 'node_modules', '.scaffold-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('new:function', () => {
  it('scaffolds a package whose declaration loads and whose handler runs', async () => {
    const files = renderFunctionFiles({ name: 'count-words', subscribes: ['text.submitted', 'text.*'], description: "Counts a text's words" });
    expect([...files.keys()].sort()).toEqual(['package.json', 'src/function.test.ts', 'src/function.ts', 'src/main.ts']);
    expect(JSON.parse(files.get('package.json')!)).toMatchObject({ name: '@qfn/count-words', dependencies: { '@qfn/shared': '0.1.0' } });
    expect(files.get('src/main.ts')).toContain('await runFunction(countWords);');

    const dir = join(scratch, 'count-words');
    writeFunctionPackage(dir, files);
    const { default: declaration } = (await import(pathToFileURL(join(dir, 'src', 'function.ts')).href)) as { default: FunctionDeclaration };
    expect(declaration).toMatchObject({ name: 'count-words', description: "Counts a text's words", subscribes: ['text.submitted', 'text.*'] });
    expect(declaration.scaling).toMatchObject({ minReplicaCount: 0, maxReplicaCount: 5 });

    const logged: unknown[][] = [];
    const log = { info: (...args: unknown[]) => logged.push(args) } as unknown as HandlerContext['log'];
    const event = declaration.schema.parse({ ts: '19941114', sender: 'bob', messageAttributes: {}, sent_from_ip: '10.0.0.1', priority: 2 });
    await declaration.handler!(event, { db: undefined as never, eventId: 'e1', eventType: 'text.submitted', eventTime: '', attempt: 1, log });
    expect(logged).toEqual([[{ eventId: 'e1', sender: 'bob', priority: 2 }, 'handled']]);
  });

  it('refuses names and patterns a declaration would refuse, and existing packages', () => {
    const request = (name: string, subscribes = ['a.b']) => invalidRequest({ name, subscribes, description: '' }, join(scratch, name));
    expect(request('Bad_Name')).toMatch(/DNS label/);
    expect(request('publish')).toMatch(/taken/);
    expect(request('ok-name', ['no spaces allowed'])).toMatch(/topic pattern/);
    expect(request('ok-name', [])).toMatch(/at least one/);
    expect(request('ok-name')).toBeUndefined();
    mkdirSync(join(scratch, 'taken'));
    expect(request('taken')).toMatch(/already exists/);
  });
});
