import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  TagQueueCommand,
  UntagQueueCommand,
  type QueueAttributeName,
} from '@aws-sdk/client-sqs';
import type { QueueSpec } from '../types';
import { belongsToInstallation, isOwnTag, queueTags, type SqsQueueNames } from './names';
import type { SqsSession } from './session';

export interface QueueSettings {
  /** Seconds a message stays in the function's queue before SQS drops it. */
  retentionSeconds: number;
  /** Seconds a dead letter is kept (SQS allows 14 days at most). */
  deadLetterRetentionSeconds: number;
}

export interface FunctionQueues {
  queueUrl: string;
  deadLetterQueueUrl: string;
}

export const defaultQueueSettings: QueueSettings = { retentionSeconds: 4 * 24 * 3600, deadLetterRetentionSeconds: 14 * 24 * 3600 };

/**
 * Receives after which SQS itself moves a message to the dead-letter queue. The runtime dead-letters
 * explicitly after `maxAttempts`; this catches what it never got to settle (a message that crashes its
 * consumer every time), with room for the receives a shutdown hands back.
 */
export function maxReceiveCount(spec: QueueSpec): number {
  return spec.retry.maxAttempts + 3;
}

/** The attributes the function's queue should have. */
export function mainQueueAttributes(spec: QueueSpec, deadLetterArn: string, settings: QueueSettings): Record<string, string> {
  return {
    VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(settings.retentionSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterArn, maxReceiveCount: maxReceiveCount(spec) }),
  };
}

/**
 * Creates the function's queue and dead-letter queue, or brings existing ones to the declared
 * attributes and tags. Safe to run from every replica at once; calls that would change nothing are skipped,
 * so queues made beforehand (e.g. by Terraform) need no create or set permission.
 */
export async function ensureFunctionQueues(session: SqsSession, names: SqsQueueNames, spec: QueueSpec, settings: QueueSettings): Promise<FunctionQueues> {
  const deadLetters = await ensureQueue(session, names.deadLetterQueue(spec.name), {
    attributes: { MessageRetentionPeriod: String(settings.deadLetterRetentionSeconds) },
    tags: queueTags(names, spec.name, 'dead-letter'),
  });
  const main = await ensureQueue(session, names.queue(spec.name), {
    attributes: mainQueueAttributes(spec, deadLetters.arn, settings),
    tags: queueTags(names, spec.name, 'main', spec.subscribes),
  });
  return { queueUrl: main.url, deadLetterQueueUrl: deadLetters.url };
}

interface Desired {
  attributes: Record<string, string>;
  tags: Record<string, string>;
}

async function ensureQueue(session: SqsSession, name: string, desired: Desired): Promise<{ url: string; arn: string }> {
  let url = await findQueueUrl(session, name);
  if (!url) {
    try {
      const created = await session.call((c) => c.send(new CreateQueueCommand({ QueueName: name, Attributes: desired.attributes, tags: desired.tags })));
      url = created.QueueUrl!;
      return { url, arn: await queueArn(session, url) };
    } catch (error) {
      // Another replica created it first, maybe with other settings: converge below.
      if (!String((error as Error).name).includes('QueueNameExists')) throw error;
      url = (await findQueueUrl(session, name))!;
    }
  }
  const queueUrl = url;
  const [arn] = await Promise.all([convergeAttributes(session, queueUrl, desired.attributes), convergeTags(session, queueUrl, desired.tags)]);
  return { url: queueUrl, arn };
}

export async function findQueueUrl(session: SqsSession, name: string): Promise<string | undefined> {
  try {
    return (await session.call((c) => c.send(new GetQueueUrlCommand({ QueueName: name })))).QueueUrl;
  } catch (error) {
    if (error instanceof QueueDoesNotExist) return undefined;
    throw error;
  }
}

async function queueArn(session: SqsSession, url: string): Promise<string> {
  const reply = await session.call((c) => c.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })));
  return reply.Attributes!.QueueArn!;
}

/** Sets the attributes that differ; returns the queue's ARN. */
async function convergeAttributes(session: SqsSession, url: string, desired: Record<string, string>): Promise<string> {
  const names = ['QueueArn', ...Object.keys(desired)] as QueueAttributeName[];
  const reply = await session.call((c) => c.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: names })));
  const current: Record<string, string | undefined> = reply.Attributes ?? {};
  const changed: Record<string, string> = {};
  for (const [key, value] of Object.entries(desired)) {
    if (!sameAttribute(key, current[key], value)) changed[key] = value;
  }
  if (Object.keys(changed).length > 0) {
    await session.call((c) => c.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: changed })));
  }
  return current['QueueArn']!;
}

function sameAttribute(key: string, current: string | undefined, desired: string): boolean {
  if (current === undefined) return false;
  if (key !== 'RedrivePolicy') return current === desired;
  try {
    const a = JSON.parse(current) as Record<string, unknown>;
    const b = JSON.parse(desired) as Record<string, unknown>;
    return a['deadLetterTargetArn'] === b['deadLetterTargetArn'] && String(a['maxReceiveCount']) === String(b['maxReceiveCount']);
  } catch {
    return false;
  }
}

async function convergeTags(session: SqsSession, url: string, desired: Record<string, string>): Promise<void> {
  const current = (await session.call((c) => c.send(new ListQueueTagsCommand({ QueueUrl: url })))).Tags ?? {};
  const changed = Object.fromEntries(Object.entries(desired).filter(([key, value]) => current[key] !== value));
  const stale = Object.keys(current).filter((key) => isOwnTag(key) && !(key in desired));
  if (Object.keys(changed).length > 0) await session.call((c) => c.send(new TagQueueCommand({ QueueUrl: url, Tags: changed })));
  if (stale.length > 0) await session.call((c) => c.send(new UntagQueueCommand({ QueueUrl: url, TagKeys: stale })));
}

/** Every queue URL whose name starts with `prefix`. */
export async function listQueueUrls(session: SqsSession, prefix: string): Promise<string[]> {
  const urls: string[] = [];
  let nextToken: string | undefined;
  do {
    const reply = await session.call((c) =>
      c.send(new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 1000, ...(nextToken ? { NextToken: nextToken } : {}) })),
    );
    urls.push(...(reply.QueueUrls ?? []));
    nextToken = reply.NextToken;
  } while (nextToken);
  return urls;
}

export async function queueTagsOf(session: SqsSession, url: string): Promise<Record<string, string> | undefined> {
  try {
    return (await session.call((c) => c.send(new ListQueueTagsCommand({ QueueUrl: url })))).Tags ?? {};
  } catch (error) {
    if (error instanceof QueueDoesNotExist) return undefined;
    throw error;
  }
}

/** Deletes every queue of the installation (tagged with its prefix and suffix); returns how many. */
export async function deleteInstallationQueues(session: SqsSession, names: SqsQueueNames): Promise<number> {
  let deleted = 0;
  for (const url of await listQueueUrls(session, names.listPrefix)) {
    const tags = await queueTagsOf(session, url);
    if (!tags || !belongsToInstallation(names, tags)) continue;
    await session.call((c) => c.send(new DeleteQueueCommand({ QueueUrl: url })));
    deleted++;
  }
  return deleted;
}
