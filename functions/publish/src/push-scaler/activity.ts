import { matchesTopic } from '@qfn/shared/platform';

export interface SubscribingFunction {
  name: string;
  subscribes: readonly string[];
}

type Listener = (active: boolean) => void;

interface FunctionActivity {
  name: string;
  active: boolean;
  lastPublishAt: number;
  listeners: Set<Listener>;
}

/**
 * Which functions' queues this process published to lately: a function turns active the moment a publish
 * routed to its queue is confirmed, and inactive once nothing was routed to it for `idleMs`. Listeners
 * hear every change. `published` is on the publish hot path: a map lookup and a flag flip per function,
 * no allocation once an event type has been seen.
 *
 * @example
 * const activity = new QueueActivity(functionQueues, { idleMs: 10_000 });
 * activity.onChange('store-message', (active) => stream.write({ result: active }));
 * activity.published('message.published'); // store-message's listeners hear `true`
 */
export class QueueActivity {
  readonly #functions = new Map<string, FunctionActivity>();
  readonly #byType = new Map<string, FunctionActivity[]>();
  readonly #sweep: NodeJS.Timeout;

  constructor(
    private readonly subscribers: readonly SubscribingFunction[],
    private readonly options: { idleMs: number },
  ) {
    for (const fn of subscribers) this.#functions.set(fn.name, { name: fn.name, active: false, lastPublishAt: 0, listeners: new Set() });
    this.#sweep = setInterval(() => this.#expire(Date.now()), Math.max(50, Math.min(1_000, options.idleMs / 4)));
    this.#sweep.unref();
  }

  has(fn: string): boolean {
    return this.#functions.has(fn);
  }

  isActive(fn: string): boolean {
    return this.#functions.get(fn)?.active ?? false;
  }

  /** An event of this type was confirmed by the broker. */
  published(type: string): void {
    const routed = this.#byType.get(type) ?? this.#route(type);
    if (routed.length === 0) return;
    const now = Date.now();
    for (const fn of routed) {
      fn.lastPublishAt = now;
      if (!fn.active) this.#set(fn, true);
    }
  }

  /** Calls `listener` on every change of the function's activity; returns the unsubscribe. */
  onChange(fn: string, listener: Listener): () => void {
    const activity = this.#functions.get(fn);
    if (!activity) throw new Error(`no function ${fn} subscribes to anything published here`);
    activity.listeners.add(listener);
    return () => activity.listeners.delete(listener);
  }

  close(): void {
    clearInterval(this.#sweep);
    for (const fn of this.#functions.values()) fn.listeners.clear();
  }

  #route(type: string): FunctionActivity[] {
    const routed = this.subscribers.filter((fn) => fn.subscribes.some((pattern) => matchesTopic(pattern, type))).map((fn) => this.#functions.get(fn.name)!);
    this.#byType.set(type, routed);
    return routed;
  }

  #expire(now: number): void {
    for (const fn of this.#functions.values()) {
      if (fn.active && now - fn.lastPublishAt >= this.options.idleMs) this.#set(fn, false);
    }
  }

  #set(fn: FunctionActivity, active: boolean): void {
    fn.active = active;
    for (const listener of fn.listeners) listener(active);
  }
}
