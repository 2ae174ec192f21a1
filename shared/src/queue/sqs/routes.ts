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

/** On a miss, every queue's tags are read again at most this often. */
const missRereadIntervalMs = 1_000;

/** Tag reads in parallel while refreshing (SQS limits tagging calls per account). */
const tagReadConcurrency = 5;

/**
 * Which queues an event type goes to. SQS has no topic exchange: the queues carry their subscriptions
 * in tags, and this table reads them (ListQueues by prefix, ListQueueTags), reads them again in the
 * background after `ttlMs`, and looks for new queues at once when an event type matches none.
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
    if (this.#refreshedAt === Number.NEGATIVE_INFINITY) {
      await this.#refresh('all');
    } else if (Date.now() - this.#refreshedAt > this.options.ttlMs && !this.#refreshing) {
      // Stale but usable: route with it while it is read again, so no publish waits on the refresh.
      this.#refresh('all').catch(() => {
        /* the session reports SQS down; sends will fail on their own */
      });
    }
    let urls = this.#match(eventType);
    if (urls.length === 0) {
      // Maybe a function was just deployed or changed its subscriptions; re-reading every queue's
      // tags is kept to once a second, so a stream of unroutable events cannot flood the tagging API.
      await this.#refresh(Date.now() - this.#refreshedAt > missRereadIntervalMs ? 'all' : 'new');
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

  /**
   * 'all' re-reads every queue's tags; 'new' only those of queues not seen yet. A caller that finds a
   * refresh under way waits for that one instead of starting another (and shares its failure).
   */
  async #refresh(scope: 'all' | 'new'): Promise<void> {
    if (this.#refreshing) return this.#refreshing;
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
