import { describe, expect, it } from 'vitest';
import { breakingChanges, committedCatalog, declaredCatalog, renderCatalog } from './event-catalog';
import { loadFunctions } from '@qfn/tooling/functions';

describe('the committed event catalog', () => {
  it('is what the event definitions give (npm run generate writes it)', async () => {
    const declared = await declaredCatalog(await loadFunctions());
    expect(renderCatalog(committedCatalog()!)).toBe(renderCatalog(declared));
    // The built-in types among them (a user's own functions add theirs), in type order.
    const types = Object.keys(declared.events);
    expect(types).toEqual(
      expect.arrayContaining(['job.checksum', 'job.completed', 'job.count-primes', 'job.derive-key', 'job.word-count', 'message.published']),
    );
    expect(types).toEqual([...types].sort((a, b) => a.localeCompare(b)));
  });

  it('names a change that would break a subscriber', async () => {
    const declared = await declaredCatalog(await loadFunctions());
    // As if the committed catalog had no `text` field in job.checksum's data and `rounds` were a string:
    // the declared one now refuses events that were valid.
    const committed = structuredClone(declared);
    const checksum = committed.events['job.checksum']!.schema as { properties: Record<string, unknown> };
    delete checksum.properties['text'];
    checksum.properties['rounds'] = { type: 'string' };
    (committed.events['job.checksum']!.schema as { additionalProperties?: boolean }).additionalProperties = undefined as never;
    expect(breakingChanges(declared, committed)).toEqual([
      'job.checksum data.rounds: type changed from string to integer',
      'job.checksum data: now refuses unknown fields',
    ]);
  });
});
