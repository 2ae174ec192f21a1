/** The RabbitMQ management API endpoint KEDA's `rabbitmq` scaler reads in HTTP mode. */
export function managementUrlFor(amqpUrl: string, port = 15672): string {
  const url = new URL(amqpUrl);
  const scheme = url.protocol === 'amqps:' ? 'https' : 'http';
  const auth = url.username ? `${url.username}:${url.password}@` : 'guest:guest@';
  return `${scheme}://${auth}${url.hostname}:${port}`;
}

export interface QueueInfo {
  name?: string;
  arguments?: Record<string, unknown>;
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
}

/** A request to the management API at `path` (below /api), with the credentials the URL carries. */
export function managementRequest(managementUrl: string, path: string, init: RequestInit = {}): Promise<Response> {
  const url = new URL(managementUrl);
  const auth = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
  return fetch(`${url.origin}/api${path}`, { ...init, headers: { authorization: `Basic ${auth}`, ...init.headers } });
}

export async function fetchQueueInfo(managementUrl: string, vhost: string, queue: string): Promise<QueueInfo | undefined> {
  const response = await managementRequest(managementUrl, `/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(queue)}`, {
    signal: AbortSignal.timeout(5_000),
  });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`management API answered ${response.status} for queue ${queue}`);
  return (await response.json()) as QueueInfo;
}

/** The management API of one vhost, for what AMQP cannot do: policies, listings, conditional deletes. */
export class ManagementApi {
  constructor(
    private readonly managementUrl: string,
    private readonly vhost: string,
  ) {}

  #path(...parts: string[]): string {
    return `/${parts.map(encodeURIComponent).join('/')}`;
  }

  async #call(path: string, init: RequestInit = {}): Promise<Response> {
    const response = await managementRequest(this.managementUrl, path, { signal: AbortSignal.timeout(10_000), ...init });
    if (!response.ok && response.status !== 404)
      throw new Error(`management API answered ${response.status} to ${init.method ?? 'GET'} ${path}: ${(await response.text()).slice(0, 300)}`);
    return response;
  }

  queue(name: string): Promise<QueueInfo | undefined> {
    return fetchQueueInfo(this.managementUrl, this.vhost, name);
  }

  /** Queues of the vhost whose name starts with `prefix`. */
  async queuesStartingWith(prefix: string): Promise<QueueInfo[]> {
    const response = await this.#call(`/queues/${encodeURIComponent(this.vhost)}?columns=name,messages`);
    if (response.status === 404) return [];
    return ((await response.json()) as QueueInfo[]).filter((q) => q.name?.startsWith(prefix));
  }

  /** Routing keys binding `exchange` to `queue`. */
  async bindingKeys(exchange: string, queue: string): Promise<string[]> {
    const response = await this.#call(`/bindings${this.#path(this.vhost, 'e', exchange, 'q', queue)}`);
    if (response.status === 404) return [];
    return ((await response.json()) as { routing_key: string }[]).map((b) => b.routing_key);
  }

  async putPolicy(name: string, policy: { pattern: string; definition: Record<string, unknown>; priority: number; 'apply-to': 'queues' }): Promise<void> {
    await this.#call(`/policies${this.#path(this.vhost, name)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(policy),
    });
  }

  /** Deletes the queue only when it holds no message; false when it does (or is gone). */
  async deleteQueueIfEmpty(name: string): Promise<boolean> {
    const response = await this.#call(`/queues${this.#path(this.vhost, name)}?if-empty=true`, { method: 'DELETE' }).catch(() => undefined);
    return response?.ok ?? false;
  }
}
