/** The seeds' message, as their publisher sends it. */
export interface SeedMessage {
  ts: string;
  sender: string;
  messageAttributes: Record<string, string>;
  sent_from_ip: string;
  priority: number;
  type?: string;
}

export interface LoadOptions {
  /** Base URL of the publish function. */
  url: string;
  count: number;
  /** Requests started per second; 0 sends as fast as `concurrency` allows. */
  rate: number;
  /** Requests open at once at most. */
  concurrency: number;
  /** Event type (routing key); the publish function's default when absent. */
  type?: string;
  /**
   * The data of a declared event type (`defineEvent`): sent as the body of `POST /events/{type}` instead of
   * a seed message to `POST /message/publish`. Needs `type`.
   */
  data?: unknown;
  sender?: string;
  attributes?: Record<string, string>;
  /** Called about once a second while sending. */
  onProgress?: (progress: LoadProgress) => void;
}

export interface LoadProgress {
  started: number;
  accepted: number;
  failed: number;
  elapsedMs: number;
}

export interface LoadReport extends LoadProgress {
  /** Responses by HTTP status (0: no response). */
  statuses: Record<number, number>;
  /** Event ids of the accepted messages, in the order they were accepted. */
  ids: string[];
  /** Epoch ms when the first request went out. */
  firstSentAt: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** The first failure's status and body, to show what went wrong. */
  firstError: string | undefined;
}

export function seedMessage(options: { sender: string; attributes?: Record<string, string>; type?: string }): SeedMessage {
  return {
    ts: '19941114',
    sender: options.sender,
    messageAttributes: options.attributes ?? {},
    sent_from_ip: '10.0.0.1',
    priority: 1,
    ...(options.type ? { type: options.type } : {}),
  };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

/**
 * Sends `count` real `POST /message/publish` requests (or `POST /events/{type}` with `data`) at `rate` per
 * second, at most `concurrency` open.
 *
 * @example
 * const report = await sendLoad({ url: 'http://127.0.0.1:3000', count: 2000, rate: 500, concurrency: 50 });
 * console.log(report.accepted, report.statuses);
 */
export async function sendLoad(options: LoadOptions): Promise<LoadReport> {
  if (options.data !== undefined && !options.type) throw new Error('sendLoad: data needs the event type it belongs to');
  const typed = options.data !== undefined && options.type !== undefined;
  const endpoint = new URL(typed ? `/events/${encodeURIComponent(options.type!)}` : '/message/publish', options.url).toString();
  const body = typed
    ? JSON.stringify(options.data)
    : JSON.stringify(
        seedMessage({
          sender: options.sender ?? 'publish-load',
          ...(options.attributes ? { attributes: options.attributes } : {}),
          ...(options.type ? { type: options.type } : {}),
        }),
      );
  const statuses: Record<number, number> = {};
  const ids: string[] = [];
  const latencies: number[] = [];
  let started = 0;
  let failed = 0;
  let firstError: string | undefined;
  const firstSentAt = Date.now();
  const t0 = performance.now();
  const progress = (): LoadProgress => ({ started, accepted: ids.length, failed, elapsedMs: Math.round(performance.now() - t0) });
  const ticker = options.onProgress ? setInterval(() => options.onProgress!(progress()), 1_000) : undefined;

  const sendOne = async () => {
    const sentAt = performance.now();
    let status = 0;
    try {
      const response = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      status = response.status;
      const text = await response.text();
      if (status === 202) ids.push((JSON.parse(text) as { id: string }).id);
      else firstError ??= `${status} ${text.slice(0, 300)}`;
    } catch (error) {
      firstError ??= error instanceof Error ? `${error.message}${error.cause ? ` (${String(error.cause)})` : ''}` : String(error);
    }
    latencies.push(performance.now() - sentAt);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status !== 202) failed++;
  };

  const workers = Array.from({ length: Math.min(options.concurrency, options.count) }, async () => {
    while (started < options.count) {
      const index = started++;
      if (options.rate > 0) {
        const due = t0 + (index * 1000) / options.rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      await sendOne();
    }
  });
  await Promise.all(workers);
  clearInterval(ticker);

  const sorted = latencies.sort((a, b) => a - b);
  return {
    ...progress(),
    statuses,
    ids,
    firstSentAt,
    latencyMs: {
      p50: Math.round(percentile(sorted, 50) * 10) / 10,
      p99: Math.round(percentile(sorted, 99) * 10) / 10,
      max: Math.round((sorted.at(-1) ?? 0) * 10) / 10,
    },
    firstError,
  };
}
