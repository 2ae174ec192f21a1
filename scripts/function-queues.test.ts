import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { currentFunctionQueues, functionQueuesFile } from './function-queues';
import { functionQueues } from '../functions/publish/src/function-queues.generated';
import { loadFunctions } from '@qfn/tooling/functions';

describe('function-queues.generated.ts', () => {
  it("matches the functions' declarations (run `npm run generate` after changing one)", async () => {
    expect(readFileSync(functionQueuesFile, 'utf8')).toBe(await currentFunctionQueues());
  });

  it('lists every consumer function', async () => {
    expect(functionQueues.map((q) => q.name)).toEqual((await loadFunctions()).map((fn) => fn.declaration.name));
  });
});
