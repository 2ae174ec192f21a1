import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'drizzle-orm';
import { generateDrizzleJson, generateMigration } from 'drizzle-kit/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventDefinition, FunctionDeclaration } from '@qfn/shared';
import { testContext, type TestContext } from '@qfn/shared/testing';
import { connectionBudget, fittingScaling } from './lib/connection-budget';
import { loadFunctions } from '@qfn/tooling/functions';
import { repoRoot } from '@qfn/tooling/paths';
import { defaultEventType, invalidRequest, renderFunctionFiles, writeFunctionPackage } from './new-function';

// Inside the repository (so @qfn/shared resolves) but outside functions/ (so no other test sees it).
const scratch = mkdtempSync(join(repoRoot, 'node_modules', '.scaffold-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function load<T>(dir: string, file: string): Promise<T> {
  return (await import(pathToFileURL(join(dir, 'src', file)).href)) as T;
}

describe('new:function', () => {
  // The scaffolded handlers run through the real worker on an in-process database: no services.
  let t: TestContext;
  beforeAll(async () => {
    t = await testContext();
  });
  afterAll(() => t?.close());

  it('scaffolds a function with its own typed event, whose handler writes a row to a table created by the SQL drizzle-kit derives', async () => {
    const files = renderFunctionFiles({
      name: 'count-words',
      subscribes: ['text.submitted', 'text.*'],
      description: "Counts a text's words",
      poolSize: 2,
      maxReplicaCount: 4,
    });
    expect([...files.keys()].sort()).toEqual(['package.json', 'src/events.ts', 'src/function.test.ts', 'src/function.ts', 'src/main.ts', 'src/schema.ts']);
    expect(JSON.parse(files.get('package.json')!)).toMatchObject({ name: '@qfn/count-words', dependencies: { '@qfn/shared': '0.1.0' } });
    expect(files.get('src/main.ts')).toContain('await runFunction(countWords);');
    expect(files.get('src/events.ts')).toContain("export const textSubmitted = defineEvent(\n  'text.submitted',");
    expect(files.get('src/function.ts')).toContain("subscribes: [textSubmitted, 'text.*'],");
    expect(files.get('src/function.test.ts')).toContain("from '@qfn/shared/testing'");
    expect(files.get('src/schema.ts')).toContain("pgTable('count_words'");
    for (const content of files.values()) expect(content).not.toMatch(/\{\{|messageEvent|messageAttributes/);

    const dir = join(scratch, 'count-words');
    writeFunctionPackage(dir, files);
    const { textSubmitted } = await load<{ textSubmitted: EventDefinition }>(dir, 'events.ts');
    expect(textSubmitted).toMatchObject({ kind: 'event', type: 'text.submitted', version: 1, description: "Counts a text's words" });
    const { default: declaration } = await load<{ default: FunctionDeclaration }>(dir, 'function.ts');
    expect(declaration).toMatchObject({ name: 'count-words', description: "Counts a text's words", subscribes: ['text.submitted', 'text.*'], poolSize: 2 });
    expect(declaration.events?.['text.submitted']).toBe(textSubmitted);
    expect(declaration.scaling).toMatchObject({ minReplicaCount: 0, maxReplicaCount: 4 });

    const schemaModule = await load<Record<string, unknown>>(dir, 'schema.ts');
    const statements = await generateMigration(generateDrizzleJson({}), generateDrizzleJson(schemaModule));
    expect(statements.join('\n')).toMatch(/CREATE TABLE "count_words"/);
    for (const statement of statements) await t.db.execute(sql.raw(statement));

    const outcome = await t.runOnce(declaration, { type: 'text.submitted', data: { text: 'one two three' } });
    expect(outcome).toMatchObject({ status: 'processed', logs: [{ msg: 'handled', eventId: outcome.eventId, sender: 'anonymous', length: 13 }] });
    const rows = await t.db.execute(sql`select event_id, sender, text from count_words`);
    expect([...rows]).toEqual([{ event_id: outcome.eventId, sender: 'anonymous', text: 'one two three' }]);
    // A type the pattern matches is read with the same schema.
    expect((await t.runOnce(declaration, { type: 'text.edited', data: { text: 'x', sender: 'bob' } })).status).toBe('processed');
    expect((await t.runOnce(declaration, { type: 'text.edited', data: { words: 3 } as never })).status).toBe('dead-lettered');
  });

  it('scaffolds without a table when asked: no schema file, a handler that only logs', async () => {
    const files = renderFunctionFiles({ name: 'just-log', subscribes: ['just-log.requested'], description: 'Logs', table: false });
    expect([...files.keys()].sort()).toEqual(['package.json', 'src/events.ts', 'src/function.test.ts', 'src/function.ts', 'src/main.ts']);
    expect(files.get('src/function.ts')).not.toMatch(/from '\.\/schema'|insert\(|schema:/);
    const dir = join(scratch, 'just-log');
    writeFunctionPackage(dir, files);
    const { default: declaration } = await load<{ default: FunctionDeclaration }>(dir, 'function.ts');
    expect(declaration.subscribes).toEqual(['just-log.requested']);
    const outcome = await t.runOnce(declaration, { data: { text: 'hi', sender: 'bob' } });
    expect(outcome).toMatchObject({ status: 'processed', logs: [{ msg: 'handled', sender: 'bob', length: 2 }] });
  });

  it('names the event constant apart from the function when their names would clash', () => {
    const files = renderFunctionFiles({ name: 'text-submitted', subscribes: ['text.submitted'], description: 'x' });
    expect(files.get('src/events.ts')).toContain('export const textSubmittedEvent = defineEvent(');
    expect(files.get('src/function.ts')).toContain('subscribes: [textSubmittedEvent],');
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

  it('refuses names and patterns a declaration would refuse, an own event that is a pattern or declared already, and existing packages', () => {
    const request = (name: string, subscribes = ['a.b'], declared = new Set<string>()) =>
      invalidRequest({ name, subscribes, description: '' }, join(scratch, name), declared);
    expect(request('Bad_Name')).toMatch(/DNS label/);
    expect(request('publish')).toMatch(/taken/);
    expect(request('ok-name', ['no spaces allowed'])).toMatch(/topic pattern/);
    expect(request('ok-name', [])).toMatch(/at least one/);
    expect(request('ok-name', ['text.*'])).toMatch(/event type the function declares/);
    expect(request('ok-name', ['message.published'], new Set(['message.published']))).toMatch(/declared already.*ok-name\.requested/);
    expect(request('ok-name', [defaultEventType('ok-name'), 'text.#'])).toBeUndefined();
    mkdirSync(join(scratch, 'taken'));
    expect(request('taken')).toMatch(/already exists/);
  });
});
