import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import { generateDrizzleJson, generateMigration } from 'drizzle-kit/api';
import { afterAll, describe, expect, it } from 'vitest';
import { handlerContext, type FunctionDeclaration, type HandlerContext } from '@qfn/shared';
import { createTestDatabase } from '../test/support/database';
import { uniqueName } from '../test/support/names';
import { connectionBudget, fittingScaling } from './lib/connection-budget';
import { loadFunctions } from '@qfn/tooling/functions';
import { repoRoot } from '@qfn/tooling/paths';
import { invalidRequest, renderFunctionFiles, writeFunctionPackage } from './new-function';

// Inside the repository (so @qfn/shared resolves) but outside functions/ (so no other test sees it).
const scratch = mkdtempSync(join(repoRoot, 'node_modules', '.scaffold-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const seed = { ts: '19941114', sender: 'bob', messageAttributes: {}, sent_from_ip: '10.0.0.1', priority: 2 };

function recordingLog(): { logged: unknown[][]; log: HandlerContext['log'] } {
  const logged: unknown[][] = [];
  return { logged, log: { info: (...args: unknown[]) => logged.push(args) } as unknown as HandlerContext['log'] };
}

describe('new:function', () => {
  it('scaffolds a function whose handler writes a row to its own table, created by the SQL drizzle-kit derives from its schema', async () => {
    const files = renderFunctionFiles({ name: 'count-words', subscribes: ['text.submitted', 'text.*'], description: "Counts a text's words", poolSize: 2, maxReplicaCount: 4 });
    expect([...files.keys()].sort()).toEqual(['package.json', 'src/function.test.ts', 'src/function.ts', 'src/main.ts', 'src/schema.ts']);
    expect(JSON.parse(files.get('package.json')!)).toMatchObject({ name: '@qfn/count-words', dependencies: { '@qfn/shared': '0.1.0' } });
    expect(files.get('src/main.ts')).toContain('await runFunction(countWords);');
    expect(files.get('src/schema.ts')).toContain("pgTable('count_words'");
    for (const content of files.values()) expect(content).not.toMatch(/\{\{/);

    const dir = join(scratch, 'count-words');
    writeFunctionPackage(dir, files);
    const { default: declaration } = (await import(pathToFileURL(join(dir, 'src', 'function.ts')).href)) as { default: FunctionDeclaration };
    expect(declaration).toMatchObject({ name: 'count-words', description: "Counts a text's words", subscribes: ['text.submitted', 'text.*'], poolSize: 2 });
    expect(declaration.scaling).toMatchObject({ minReplicaCount: 0, maxReplicaCount: 4 });

    const schemaModule = (await import(pathToFileURL(join(dir, 'src', 'schema.ts')).href)) as Record<string, unknown>;
    const statements = await generateMigration(generateDrizzleJson({}), generateDrizzleJson(schemaModule));
    expect(statements.join('\n')).toMatch(/CREATE TABLE "count_words"/);
    const database = await createTestDatabase(uniqueName('scaffold'), 2);
    try {
      for (const statement of statements) await database.db.execute(sql.raw(statement));
      const { logged, log } = recordingLog();
      const event = declaration.schema.parse(seed);
      await database.db.transaction((db) => declaration.handler!(event, handlerContext({ db, eventId: 'e1', eventType: 'text.submitted', eventTime: '', attempt: 1, log })));
      const rows = await database.db.execute(sql`select event_id, sender, priority from count_words`);
      expect([...rows]).toEqual([{ event_id: 'e1', sender: 'bob', priority: 2 }]);
      expect(logged).toEqual([[{ eventId: 'e1', sender: 'bob', priority: 2 }, 'handled']]);
    } finally {
      await database.drop();
    }
  });

  it('scaffolds without a table when asked: no schema file, a handler that only logs', async () => {
    const files = renderFunctionFiles({ name: 'just-log', subscribes: ['a.b'], description: 'Logs', table: false });
    expect([...files.keys()].sort()).toEqual(['package.json', 'src/function.test.ts', 'src/function.ts', 'src/main.ts']);
    expect(files.get('src/function.ts')).not.toMatch(/from '\.\/schema'|insert\(/);
    const dir = join(scratch, 'just-log');
    writeFunctionPackage(dir, files);
    const { default: declaration } = (await import(pathToFileURL(join(dir, 'src', 'function.ts')).href)) as { default: FunctionDeclaration };
    const { logged, log } = recordingLog();
    await declaration.handler!(declaration.schema.parse(seed), handlerContext({ db: undefined as never, eventId: 'e2', eventType: 'a.b', eventTime: '', attempt: 1, log }));
    expect(logged).toEqual([[{ eventId: 'e2', sender: 'bob', priority: 2 }, 'handled']]);
  });

  it("picks a pool and replica count that fit the chart's default connection budget beside the functions there are", async () => {
    const budget = connectionBudget((await loadFunctions()).map((fn) => fn.declaration));
    expect(budget.used).toBeLessThanOrEqual(budget.budget);
    const scaling = fittingScaling(budget.left);
    if (scaling) expect(scaling.poolSize * scaling.maxReplicaCount).toBeLessThanOrEqual(budget.left);
    expect(fittingScaling(14)).toEqual({ poolSize: 2, maxReplicaCount: 5 });
    expect(fittingScaling(5)).toEqual({ poolSize: 2, maxReplicaCount: 2 });
    expect(fittingScaling(1)).toEqual({ poolSize: 1, maxReplicaCount: 1 });
    expect(fittingScaling(0)).toBeUndefined();
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
