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

export async function fetchQueueInfo(managementUrl: string, vhost: string, queue: string): Promise<QueueInfo | undefined> {
  const url = new URL(managementUrl);
  const auth = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64');
  const response = await fetch(`${url.origin}/api/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(queue)}`, {
    headers: { authorization: `Basic ${auth}` },
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
