import { matchesTopic } from '../../messages/topic';
import { decodeSubscriptions, isInstallationMainQueue, tagKeys, type SqsQueueNames } from './names';
import { listQueueUrls, queueTagsOf } from './provision';
import type { SqsSession } from './session';

/** A function's queue and the event types (topic patterns) routed to it. */
export interface Route {
  queueUrl: string;
  fn: string;
  patterns: readonly string[];
}

export interface RouteTableOptions {
  /** How long the table is trusted before it is read again from the queues' tags. */
  ttlMs: number;
}

/** Tag reads in parallel while refreshing (SQS limits tagging calls per account). */
const tagReadConcurrency = 5;

/**
 * Which queues an event type goes to. SQS has no topic exchange: the queues carry their subscriptions
 * in tags, and this table reads them (ListQueues by prefix, ListQueueTags), keeps them for `ttlMs`, and
 * looks for new queues at once when an event type matches none.
 */
export class RouteTable {
  /** Queue URL → its route, or null for a queue that is not a main queue of this installation. */
  readonly #known = new Map<string, Route | null>();
  #refreshedAt = Number.NEGATIVE_INFINITY;
  #refreshing: Promise<void> | undefined;

  constructor(
    private readonly session: SqsSession,
    private readonly names: SqsQueueNames,
    private readonly options: RouteTableOptions,
  ) {}

  /** Queue URLs of every function subscribed to `eventType`. */
  async queuesFor(eventType: string): Promise<string[]> {
    if (Date.now() - this.#refreshedAt > this.options.ttlMs) await this.#refresh('all');
    let urls = this.#match(eventType);
    if (urls.length === 0) {
      await this.#refresh('new');
      urls = this.#match(eventType);
    }
    return urls;
  }

  /** A queue this process just provisioned routes at once, without waiting for a refresh. */
  remember(route: Route): void {
    this.#known.set(route.queueUrl, route);
  }

  /** The queue is gone: stop routing to it and read everything again on the next publish. */
  forget(queueUrl: string): void {
    this.#known.delete(queueUrl);
    this.#refreshedAt = Number.NEGATIVE_INFINITY;
  }

  #match(eventType: string): string[] {
    const urls: string[] = [];
    for (const route of this.#known.values()) {
      if (route && route.patterns.some((pattern) => matchesTopic(pattern, eventType))) urls.push(route.queueUrl);
    }
    return urls;
  }

  /** 'all' re-reads every queue's tags; 'new' only those of queues not seen yet. One refresh at a time. */
  async #refresh(scope: 'all' | 'new'): Promise<void> {
    while (this.#refreshing) await this.#refreshing.catch(() => {});
    if (scope === 'all' && Date.now() - this.#refreshedAt <= this.options.ttlMs) return;
    this.#refreshing = this.#read(scope);
    try {
      await this.#refreshing;
    } finally {
      this.#refreshing = undefined;
    }
  }

  async #read(scope: 'all' | 'new'): Promise<void> {
    const startedAt = Date.now();
    const urls = (await listQueueUrls(this.session, this.names.listPrefix)).filter((url) => !url.endsWith('-dlq'));
    const listed = new Set(urls);
    for (const url of this.#known.keys()) if (!listed.has(url)) this.#known.delete(url);
    const toRead = scope === 'all' ? urls : urls.filter((url) => !this.#known.get(url));
    for (let i = 0; i < toRead.length; i += tagReadConcurrency) {
      await Promise.all(toRead.slice(i, i + tagReadConcurrency).map((url) => this.#readQueue(url)));
    }
    if (scope === 'all') this.#refreshedAt = startedAt;
  }

  async #readQueue(url: string): Promise<void> {
    const tags = await queueTagsOf(this.session, url);
    if (!tags) {
      this.#known.delete(url);
    } else if (isInstallationMainQueue(this.names, tags)) {
      this.#known.set(url, { queueUrl: url, fn: tags[tagKeys.function] ?? '', patterns: decodeSubscriptions(tags) });
    } else {
      // Untagged: maybe being created right now; null keeps it out of routing but it is read again on a miss.
      this.#known.set(url, null);
    }
  }
}
