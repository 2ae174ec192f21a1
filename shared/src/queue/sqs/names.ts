import { functionQueueNames, sqsSafePrefix } from '../names';

/** Tags that mark a queue as this platform's and say what it carries (SQS has no custom queue attributes). */
export const tagKeys = {
  prefix: 'qfn-prefix',
  suffix: 'qfn-suffix',
  function: 'qfn-function',
  role: 'qfn-role',
  /** Space-separated topic patterns; continued in `qfn-subscribes-2`, `-3`… when longer than one tag value. */
  subscribes: 'qfn-subscribes',
} as const;

export type QueueRole = 'main' | 'dead-letter';

/** Longest tag value SQS accepts. */
const maxTagValueLength = 256;

/** Names of everything a prefix (and optional suffix) owns on SQS (see `functionQueueNames`). */
export function sqsQueueNames(prefix: string, suffix?: string) {
  return {
    prefix,
    suffix,
    /** What every queue of this installation's name starts with (ListQueues `QueueNamePrefix`). */
    listPrefix: `${sqsSafePrefix(prefix)}-`,
    ...functionQueueNames('sqs', prefix, suffix),
  };
}
export type SqsQueueNames = ReturnType<typeof sqsQueueNames>;

/** The tags of one of the installation's queues. */
export function queueTags(names: SqsQueueNames, fn: string, role: QueueRole, subscribes: readonly string[] = []): Record<string, string> {
  const tags: Record<string, string> = {
    [tagKeys.prefix]: names.prefix,
    [tagKeys.function]: fn,
    [tagKeys.role]: role,
  };
  if (names.suffix) tags[tagKeys.suffix] = names.suffix;
  if (role === 'main') {
    encodeSubscriptions(subscribes).forEach((value, index) => {
      tags[index === 0 ? tagKeys.subscribes : `${tagKeys.subscribes}-${index + 1}`] = value;
    });
  }
  return tags;
}

/** True for a tag this platform writes (so provisioning may remove a stale one). */
export function isOwnTag(key: string): boolean {
  return key.startsWith('qfn-');
}

/**
 * Tag values may not hold `*` or `#`: patterns are stored with `+` for `*` (one word) and `=` for `#`
 * (any words), split over several values when long.
 */
export function encodeSubscriptions(patterns: readonly string[]): string[] {
  const values: string[] = [];
  let current = '';
  for (const pattern of patterns) {
    const encoded = pattern.replaceAll('*', '+').replaceAll('#', '=');
    if (encoded.length > maxTagValueLength) throw new Error(`topic pattern too long for an SQS tag: ${pattern}`);
    const next = current ? `${current} ${encoded}` : encoded;
    if (next.length > maxTagValueLength) {
      values.push(current);
      current = encoded;
    } else {
      current = next;
    }
  }
  if (current) values.push(current);
  return values;
}

export function decodeSubscriptions(tags: Readonly<Record<string, string>>): string[] {
  const patterns: string[] = [];
  for (let index = 1; ; index++) {
    const value = tags[index === 1 ? tagKeys.subscribes : `${tagKeys.subscribes}-${index}`];
    if (value === undefined) break;
    for (const word of value.split(' ')) if (word) patterns.push(word.replaceAll('+', '*').replaceAll('=', '#'));
  }
  return patterns;
}

/** True when the tags mark a queue of this installation (same prefix and suffix). */
export function belongsToInstallation(names: SqsQueueNames, tags: Readonly<Record<string, string>>): boolean {
  return tags[tagKeys.prefix] === names.prefix && (tags[tagKeys.suffix] || undefined) === (names.suffix || undefined);
}

/** True when the tags mark a function's main queue of this installation. */
export function isInstallationMainQueue(names: SqsQueueNames, tags: Readonly<Record<string, string>>): boolean {
  return belongsToInstallation(names, tags) && tags[tagKeys.role] === 'main';
}
