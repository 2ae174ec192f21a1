import type { QueueDepth } from '../types';

/** The RabbitMQ management API endpoint KEDA's `rabbitmq` scaler reads in HTTP mode. */
export function managementUrlFor(amqpUrl: string, port = 15672): string {
  const url = new URL(amqpUrl);
  const scheme = url.protocol === 'amqps:' ? 'https' : 'http';
  const auth = url.username ? `${url.username}:${url.password}@` : 'guest:guest@';
  return `${scheme}://${auth}${url.hostname}:${port}`;
}

interface QueueInfo {
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

export function depthFromQueueInfo(info: QueueInfo | undefined, delayed: number): QueueDepth {
  return {
    ready: info?.messages_ready ?? 0,
    inFlight: info?.messages_unacknowledged ?? 0,
    delayed,
  };
}
