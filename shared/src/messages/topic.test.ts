import { describe, expect, it } from 'vitest';
import { matchesTopic } from './topic';

describe('matchesTopic', () => {
  it.each([
    ['message.published', 'message.published', true],
    ['message.published', 'message.deleted', false],
    ['message.*', 'message.published', true],
    ['message.*', 'message.published.v2', false],
    ['job.#', 'job', true],
    ['job.#', 'job.checksum', true],
    ['job.#', 'job.checksum.fast', true],
    ['#.created', 'order.line.created', true],
    ['#', 'anything.at.all', true],
    ['*.created', 'created', false],
  ])('%s against %s is %s', (pattern, key, expected) => {
    expect(matchesTopic(pattern, key)).toBe(expected);
  });
});
